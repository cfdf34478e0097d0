#!/usr/bin/env python3
"""Validates many cloud-config files with cloud-init's own schema code in one process (what
`cloud-init schema --config-file F` runs for each file), so the test suite stays fast.
Prints one JSON object on the last line: {path: null when valid, else the error text}."""
import json
import sys

from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_file

schema = get_schema()
results = {}
for path in sys.argv[1:]:
    try:
        results[path] = None if validate_cloudconfig_file(path, schema) else "not validated: not a #cloud-config document"
    except SchemaValidationError as error:
        results[path] = str(error)
    except Exception as error:  # anything else is also a rejection, with its reason
        results[path] = f"{type(error).__name__}: {error}"
print()
print(json.dumps(results))
