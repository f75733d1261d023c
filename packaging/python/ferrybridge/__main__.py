"""``python -m ferrybridge``: the same as the ``ferrybridge`` command."""

from ferrybridge import main

main()
