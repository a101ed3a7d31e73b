"""The pure core: imports no boto3, reads no environment, performs no I/O."""
