"""The Pulumi resource types the path builders look up in a plan, in one place (every module of
tools/permission_paths imports them from here)."""

# IAM
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
# S3
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
# KMS, Secrets Manager, RDS, DynamoDB, EFS
KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 - a resource type
DATABASE = "aws:rds/instance:Instance"
TABLE = "aws:dynamodb/table:Table"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
FILE_SYSTEM_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
# SQS, SNS, Kinesis, Firehose
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
STREAM = "aws:kinesis/stream:Stream"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
# Lambda
FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
# CloudWatch (alarms, logs), VPC flow logs, load balancers, CloudFront, WAF
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_RESOURCE_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DELIVERY_DESTINATION = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
