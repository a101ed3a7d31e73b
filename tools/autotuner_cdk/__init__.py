"""Lambda Autotuner in a CDK app (`pip install '.[cdk]'` from a checkout): the stack template.yaml describes,
translated by SAM's own translator (the version the SAM CLI uses) and included as it is, so a CDK deployment
creates what `sam deploy` creates.

    from autotuner_cdk import LambdaAutotuner

    LambdaAutotuner(stack, "Tuner", code=".aws-sam/build/PlanFunction", parameters={"NotificationEmail": "a@b.c"})

``code`` is a function's directory as `sam build` writes it: the handlers with their dependencies, built for arm64
(every function of the stack runs the same code). ``parameters`` are template.yaml's, by name; those not given
stay parameters of the CDK stack, with their defaults.
"""

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import cloudformation_include as cfn_include
from constructs import Construct

from autotuner_local.iam import translate
from autotuner_local.stack import TEMPLATE
from autotuner_local.template import load_template

# What `sam build` puts in every function's directory: the handlers and the dependencies the Lambdas import.
BUILT_MARKERS = ("autotuner/handlers/plan.py", "pydantic", "aws_lambda_powertools")


class LambdaAutotuner(Construct):  # type: ignore[misc]  # Construct is Any where aws-cdk-lib is not installed
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: str | Path,
        parameters: Mapping[str, str | int | float] | None = None,
        template: Path = TEMPLATE,
    ) -> None:
        missing = [marker for marker in BUILT_MARKERS if not (Path(code) / marker).exists()]
        if missing:
            raise ValueError(f"code: {code} is not a function's directory as `sam build` writes it (no {missing})")
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        translated = translated_template(template, region="us-east-1" if Token.is_unresolved(region) else region)
        with tempfile.TemporaryDirectory(prefix="lambda-autotuner-") as directory:  # CfnInclude reads it at once
            template_file = Path(directory) / "translated.json"
            template_file.write_text(json.dumps(translated))
            self.template = cfn_include.CfnInclude(
                self,
                "Template",
                template_file=str(template_file),
                parameters={name: str(value) for name, value in (parameters or {}).items()},
            )
        asset = s3_assets.Asset(self, "Code", path=str(code))
        for logical_id, resource in translated["Resources"].items():
            if resource["Type"] == "AWS::Lambda::Function":
                function = self.template.get_resource(logical_id)
                function.add_property_override("Code.S3Bucket", asset.s3_bucket_name)
                function.add_property_override("Code.S3Key", asset.s3_object_key)


def translated_template(template_path: Path, *, region: str) -> dict[str, Any]:
    """The template as the SAM transform turns it into CloudFormation (parameters, conditions and intrinsics kept
    for CloudFormation), its state machines' definitions inline; the functions' code is a placeholder the
    construct replaces with its asset. ``region`` only tells the translator the partition."""
    template = load_template(template_path)
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            properties["Definition"] = json.loads((template_path.parent / properties.pop("DefinitionUri")).read_text())
    return translate(template, {}, region)
