"""Lambda functions: who invokes them (function policies), the roles they run as, their logs,
the queue the consumer polls, the upload function's reads and destinations, the monitor's table,
topic, key and webhook secret.

- Function policies written by AddPermission (AWS:SourceArn ArnLike, AWS:SourceAccount):
  https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
- EventBridge: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
- API Gateway: https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html
- S3 event notifications (the alias, aws:SourceArn = the bucket, aws:SourceAccount):
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
- Execution roles and their logs: https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
- SQS event source mappings poll with the execution role:
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
- Asynchronous destinations are sent with the execution role:
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
- Publishing to an encrypted topic (kms:GenerateDataKey, kms:Decrypt):
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
"""

from __future__ import annotations

from tools.offline import PlannedResource
from tools.permission_paths.kms import SNS_KEY_DOC, kms_path, via_service
from tools.permission_paths.log_paths import role_writes_logs
from tools.permission_paths.model import OUTSIDE_ACCOUNT, Path, Role, other_arn, tls
from tools.permission_paths.plan_index import PlanIndex
from tools.permission_paths.resource_types import (
    BUCKET_NOTIFICATION,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    INVOKE_CONFIG,
    LAMBDA_PERMISSION,
)

LAMBDA_POLICY_DOC = (
    "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html"
)
EVENTS_DOC = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"
APIGATEWAY_DOC = "https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html"
S3_EVENTS_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html"
ROLE_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
SQS_ESM_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
DESTINATIONS_DOC = (
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
)
DYNAMODB_DOC = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html"
# What each function's code calls on its table (functions/uptime_monitor/monitor/store.py:
# load_state -> GetItem, save_state and record_check -> PutItem, rollups -> UpdateItem, the
# status page's history -> Query), by handler.
TABLE_CALLS = {
    "monitor.scheduled_handler.handler": (
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ),
    "monitor.http_handler.handler": ("dynamodb:GetItem", "dynamodb:Query"),
}
INVOKERS = {
    "apigateway.amazonaws.com": ("apigateway-invokes", APIGATEWAY_DOC),
    "events.amazonaws.com": ("eventbridge-invokes", EVENTS_DOC),
    "s3.amazonaws.com": ("s3-invokes-alias", S3_EVENTS_DOC),
}


def _concrete(source_arn: str) -> str:
    """A source ARN a real request carries, for a pattern like `.../api/*/*`."""
    return source_arn.replace("*/*", "GET/status").replace("*", "GET")


def invocation_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for permission in ix.of_type(LAMBDA_PERMISSION):
        inputs = permission.inputs
        kind, doc = INVOKERS.get(inputs["principal"], ("service-invokes", LAMBDA_POLICY_DOC))
        qualifier = inputs.get("qualifier")
        function_arn = ix.function_arn(inputs["function"], qualifier)
        context = {"aws:SourceArn": _concrete(inputs["sourceArn"])}
        if inputs.get("sourceAccount"):
            context["aws:SourceAccount"] = inputs["sourceAccount"]
        path = Path(
            kind=kind,
            title=f"{inputs['principal']} invokes {inputs['function']}"
            + (f":{qualifier}" if qualifier else ""),
            caller=inputs["principal"],
            actions=(inputs["action"],),
            resource=function_arn,
            account_id=ix.account,
            context=context,
            resource_policy=ix.function_policy(inputs["function"]),
            docs=(doc, LAMBDA_POLICY_DOC),
        )
        twins = [
            path.twin_context("another source", source_arn=other_arn(context["aws:SourceArn"])),
            path.twin_caller("another service", "sns.amazonaws.com"),
        ]
        if inputs.get("sourceAccount"):
            twins.append(path.twin_context("another account", source_account=OUTSIDE_ACCOUNT))
        if qualifier:
            twins.append(
                path.twin_resource("the unpublished $LATEST", ix.function_arn(inputs["function"]))
            )
        paths.append(path.with_twins(*twins))
    return paths


def execution_paths(ix: PlanIndex) -> list[Path]:
    """Lambda assumes each function's role; each function writes its own log group."""
    paths = []
    for function in ix.of_type(FUNCTION):
        role = ix.caller(ix.role_by_arn(function.inputs["role"]))
        assume = role.assumed_by(
            "lambda.amazonaws.com",
            kind="lambda-assumes-role",
            title=f"Lambda assumes the role of {function.inputs['name']}",
            docs=(ROLE_DOC,),
        )
        paths.append(assume.with_twins(assume.twin_caller("another service", "ec2.amazonaws.com")))
        group = function.inputs["loggingConfig"]["logGroup"]
        paths.append(
            role_writes_logs(
                role,
                kind="function-writes-logs",
                title=f"{function.inputs['name']} writes its log group",
                actions=("logs:CreateLogStream", "logs:PutLogEvents"),
                group_arn=f"arn:aws:logs:{ix.region}:{ix.account}:log-group:{group}",
                stream="2026/12/06/[$LATEST]0123456789abcdef",
                docs=(ROLE_DOC,),
            )
        )
    return paths


def queue_consumer_paths(ix: PlanIndex) -> list[Path]:
    paths = []
    for mapping in ix.of_type(EVENT_SOURCE_MAPPING):
        function = ix.function_by_arn(mapping.inputs["functionName"])
        role = ix.caller(ix.role_by_arn(function.inputs["role"]))
        queue_arn = mapping.inputs["eventSourceArn"]
        poll = role.path(
            kind="consumer-polls-queue",
            title=f"Lambda polls {queue_arn.rsplit(':', 1)[-1]} for {function.inputs['name']} (its role)",
            actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
            resource=queue_arn,
            context=tls(),
            resource_policy=ix.queue_policy(queue_arn),
            docs=(SQS_ESM_DOC,),
        )
        paths.append(
            poll.with_twins(
                poll.twin_context("no TLS", secure_transport="false"), role.another_role(poll)
            )
        )
    return paths


def upload_paths(ix: PlanIndex) -> list[Path]:
    """The upload function reads what S3 notified it of, and sends results to its destinations."""
    paths: list[Path] = []
    for notification in ix.of_type(BUCKET_NOTIFICATION):
        bucket = ix.bucket_by_name(notification.inputs["bucket"])
        for target in notification.inputs.get("lambdaFunctions", []):
            function = ix.function_by_arn(target["lambdaFunctionArn"])
            key = f"{target.get('filterPrefix', '')}2026/12/photo.jpg"
            paths += _read_object(ix, function, bucket, key)
    for config in ix.of_type(INVOKE_CONFIG):
        function = ix.function(config.inputs["functionName"])
        destinations = config.inputs.get("destinationConfig", {})
        for outcome in ("onSuccess", "onFailure"):
            destination = destinations.get(outcome, {}).get("destination")
            if destination:
                paths += _destination_paths(ix, function, destination, outcome)
    return paths


def _read_object(ix: PlanIndex, function: PlannedResource, bucket, key: str) -> list[Path]:
    role = ix.caller(ix.role_by_arn(function.inputs["role"]))
    object_arn = f"{bucket.arn}/{key}"
    read = role.path(
        kind="upload-function-reads",
        title=f"{function.inputs['name']} reads the uploaded object",
        actions=("s3:GetObject",),
        resource=object_arn,
        context=tls(),
        resource_policy=bucket.policy,
        block_public_access=bucket.blocks_public_access,
        docs=(S3_EVENTS_DOC, ROLE_DOC),
    )
    paths = [
        read.with_twins(
            read.twin_resource("outside the notified prefix", f"{bucket.arn}/private/x"),
            read.twin_context("no TLS", secure_transport="false"),
        )
    ]
    if bucket.kms_key_arn:
        decrypt = kms_path(
            ix,
            kind="upload-function-decrypts",
            title=f"{function.inputs['name']} decrypts the uploaded object (KMS through S3)",
            caller=role,
            actions=("kms:Decrypt",),
            key_arn=bucket.kms_key_arn,
            context=via_service(ix, "s3", s3_context=bucket.encryption_context(object_arn)),
            docs=(S3_EVENTS_DOC,),
        )
        paths.append(decrypt.with_twins(role.another_role(decrypt)))
    return paths


def _destination_paths(
    ix: PlanIndex, function: PlannedResource, destination: str, outcome: str
) -> list[Path]:
    role = ix.caller(ix.role_by_arn(function.inputs["role"]))
    service = destination.split(":")[2]
    action = {"sns": "sns:Publish", "sqs": "sqs:SendMessage"}[service]
    resource_policy = (
        ix.topic_policy(destination) if service == "sns" else ix.queue_policy(destination)
    )
    send = role.path(
        kind=f"destination-{service}",
        title=f"{function.inputs['name']} sends {outcome} records to {destination.rsplit(':', 1)[-1]}",
        actions=(action,),
        resource=destination,
        context=tls(),
        resource_policy=resource_policy,
        docs=(DESTINATIONS_DOC,),
    )
    twins = [role.another_role(send)]
    if service == "sqs":
        twins.append(send.twin_context("no TLS", secure_transport="false"))
    paths = [send.with_twins(*twins)]
    if service == "sns":
        paths += topic_key_paths(ix, role, destination, "destination-topic-key")
    return paths


def topic_key_paths(ix: PlanIndex, role: Role, topic_arn: str, kind: str) -> list[Path]:
    """A role publishing to an encrypted topic uses its key through SNS."""
    topic = ix.topic_by_arn(topic_arn)
    key_arn = ix.topic_key_arn(topic)
    if not key_arn:
        return []
    encrypt = kms_path(
        ix,
        kind=kind,
        title=f"{role.arn.rsplit('/', 1)[-1]} encrypts messages to {topic.name} (KMS through SNS)",
        caller=role,
        actions=("kms:GenerateDataKey", "kms:Decrypt"),
        key_arn=key_arn,
        context=via_service(ix, "sns", sns_context=topic_arn),
        docs=(SNS_KEY_DOC,),
    )
    if ix.is_aws_managed_key(key_arn):
        # aws/sns admits every principal of the account, but only through SNS.
        twin = encrypt.twin_context("not through SNS", via_service=f"sqs.{ix.region}.amazonaws.com")
    else:
        twin = role.another_role(encrypt)
    return [encrypt.with_twins(twin)]
