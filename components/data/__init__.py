"""The data stores: private MySQL, encrypted EFS, encrypted S3 buckets and KMS keys."""

from components.data.bucket_args import EncryptedBucketArgs
from components.data.buckets import EncryptedBucket
from components.data.database import Database, DatabaseArgs
from components.data.file_system import FileSystem, FileSystemArgs
from components.data.keys import EncryptionKey, EncryptionKeyArgs

__all__ = [
    "Database",
    "DatabaseArgs",
    "EncryptedBucket",
    "EncryptedBucketArgs",
    "EncryptionKey",
    "EncryptionKeyArgs",
    "FileSystem",
    "FileSystemArgs",
]
