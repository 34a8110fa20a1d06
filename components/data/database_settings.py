"""The database section of the stack config: `Database`'s Args (without the network wiring)."""

from __future__ import annotations

from components.config.reader import Reader, as_secret, in_range
from components.data.database import (
    MAX_BACKUP_RETENTION_DAYS,
    MAX_DB_STORAGE_GB,
    MIN_BACKUP_RETENTION_DAYS,
    MIN_DB_STORAGE_GB,
    DatabaseArgs,
    check_db_name,
    check_db_password,
    check_db_username,
    check_engine_version,
    check_instance_class,
)

# The config key of each `DatabaseArgs` field the stack may set.
KEYS_BY_FIELD = {
    "engine_version": "dbEngineVersion",
    "instance_class": "dbInstanceClass",
    "allocated_storage_gb": "dbAllocatedStorageGb",
    "max_allocated_storage_gb": "dbMaxAllocatedStorageGb",
    "db_name": "dbName",
    "username": "dbUsername",
    "backup_retention_days": "dbBackupRetentionDays",
    "multi_az": "dbMultiAz",
    "deletion_protection": "dbDeletionProtection",
    "final_snapshot": "dbFinalSnapshot",
    "password": "dbPassword",
}
KEYS = tuple(KEYS_BY_FIELD.values())
SECRET_KEYS = ("dbPassword",)


def parse(reader: Reader) -> DatabaseArgs:
    defaults = DatabaseArgs()
    password = reader.secret("dbPassword")
    if password is not None and (reason := check_db_password(password)) is not None:
        reader.secret_problem("dbPassword", reason)
        password = None
    args = DatabaseArgs(
        engine_version=reader.checked(
            "dbEngineVersion", defaults.engine_version, check_engine_version
        ),
        instance_class=reader.checked(
            "dbInstanceClass", defaults.instance_class, check_instance_class
        ),
        allocated_storage_gb=reader.integer(
            "dbAllocatedStorageGb",
            defaults.allocated_storage_gb,
            in_range(MIN_DB_STORAGE_GB, MAX_DB_STORAGE_GB),
        ),
        # 0 = storage autoscaling off.
        max_allocated_storage_gb=reader.integer(
            "dbMaxAllocatedStorageGb", 0, in_range(0, MAX_DB_STORAGE_GB)
        )
        or None,
        db_name=reader.checked("dbName", defaults.db_name, check_db_name),
        username=reader.checked("dbUsername", defaults.username, check_db_username),
        backup_retention_days=reader.integer(
            "dbBackupRetentionDays",
            defaults.backup_retention_days,
            in_range(MIN_BACKUP_RETENTION_DAYS, MAX_BACKUP_RETENTION_DAYS),
        ),
        multi_az=reader.boolean("dbMultiAz", defaults.multi_az),
        deletion_protection=reader.boolean("dbDeletionProtection", defaults.deletion_protection),
        final_snapshot=reader.boolean("dbFinalSnapshot", defaults.final_snapshot),
        # Wrapped only when given, so that settings without a password need no Pulumi runtime.
        password=as_secret(password) if password is not None else None,
    )
    return reader.build(lambda: _validated(args), DatabaseArgs, KEYS_BY_FIELD)


def _validated(args: DatabaseArgs) -> DatabaseArgs:
    args.validate_settings()
    return args
