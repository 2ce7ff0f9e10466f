"""schemathesis hooks for scripts/fuzz-api.sh: the check that an admin operation was refused."""
import schemathesis


@schemathesis.check
def admin_refused(ctx, response, case):
    """Without an admin token, an admin operation is refused (401, or 403 for an agent token)."""
    # The fuzzer also tries methods an operation does not have (TRACE, ...): no route, no check.
    if case.method.upper() != case.operation.method.upper():
        return None
    if response.status_code not in (401, 403):
        raise AssertionError(
            "%s %s answered %d without an admin token: %s"
            % (case.method, case.path, response.status_code, response.text[:200]))
