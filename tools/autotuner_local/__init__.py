"""Running the product without AWS: the template deployed into moto, Lambdas run in-process, emulated targets."""
