"""Prints template.yaml as CloudFormation deploys it: the SAM transform applied offline
(AWS::Serverless::* expanded, policy templates expanded, the roles SAM generates with
their managed policies). Used by the IAM test, which compares the roles with the AWS
operations each function performs.

    .venv/bin/python scripts/sam_transform.py [template.yaml]
"""

import json
import os
import sys

from cfnlint.decode import decode_str
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

# The AWS managed policies SAM may attach, by name (no IAM call is made to list them).
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/service-role/{name}"
    for name in (
        "AWSLambdaBasicExecutionRole",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaRole",
    )
}


def main():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(path) as source:
        template, matches = decode_str(source.read())
    if matches:
        raise SystemExit(f"{path}: {matches}")
    # What `sam package` does: the code is an artifact in S3.
    template.get("Globals", {}).get("Function", {})["CodeUri"] = "s3://artifacts/code.zip"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource.get("Properties", {}):
            resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
    translator = Translator(MANAGED_POLICIES, Parser())
    # Parameters without a default get a placeholder: roles do not depend on them.
    parameters = {name: "placeholder" for name, spec in template.get("Parameters", {}).items() if "Default" not in spec}
    transformed = translator.translate(template, parameters, get_managed_policy_map=lambda: MANAGED_POLICIES)
    json.dump(transformed, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main()
