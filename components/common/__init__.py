"""Building blocks every system may use: limits and ports, tags, certificates, KMS keys."""
