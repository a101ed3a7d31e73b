"""Every boto3 call of the product lives below this package."""
