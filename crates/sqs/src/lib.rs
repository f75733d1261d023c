//! Amazon SQS: one function per operation.
