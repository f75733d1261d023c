//! The domain of ferrybridge: AWS behaviour with no HTTP and no wire formats.
