"""Azure's live checks for `recertify doctor` and `serve`'s start: the ARM token, each subscription to read,
and one read-only probe (probes.py) of every action of the read role (permissions.py) in each of them.

ARM's answers, as documented:
- 401 (InvalidAuthenticationToken, AuthenticationFailed): the token is missing, invalid or expired; every
  other call would say the same, so the checks stop there with the credential fix.
- 403 AuthorizationFailed ("does not have authorization to perform action '…' over scope '…'"): the read
  role lacks that action at that subscription; the fix names the action and `recertify permissions azure
  read`, the role that holds it.
- 404 on a probe's made-up name: the caller was allowed to ask, so the action is allowed.
"""

from __future__ import annotations

from azure.core.exceptions import ClientAuthenticationError

from connectors.azure.client import AzureClients
from connectors.azure.errors import AzureApiError, azure_call, one_line
from connectors.azure.live import arm_clients, arm_credential
from connectors.azure.permissions import read_actions
from connectors.azure.probes import PROBE_OF, Probe
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.settings import EntraSettings
from reviews.errors import Misconfigured, RecertifyError
from reviews.health import CheckResult

SOURCE = "azure"
TOKEN = "ARM token"  # noqa: S105  (a check's name)
_CREDENTIAL_FIX = (
    "set RECERTIFY_AZURE_TOKEN to a current ARM token (`az account get-access-token`), or entra.tenant_id "
    "and entra.client_id with AZURE_CLIENT_SECRET (a current secret of that app registration)"
)
_ROLE = "the read role (`recertify permissions azure read`)"


class _TokenRefused(Exception):
    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.detail)
        self.result = result


def azure_checks(settings: AzureSettings, entra: EntraSettings, secrets: AzureSecrets) -> list[CheckResult]:
    try:
        credential = arm_credential(entra, secrets)
    except Misconfigured as exc:
        return [CheckResult(SOURCE, TOKEN, False, str(exc), _CREDENTIAL_FIX)]
    with arm_clients(settings, credential) as clients:
        try:
            return _checks(clients, settings, "RECERTIFY_AZURE_TOKEN" if secrets.azure_token else "")
        except _TokenRefused as refused:
            return [refused.result]


def _checks(clients: AzureClients, settings: AzureSettings, how: str) -> list[CheckResult]:
    try:
        with azure_call("the tenant", "list the subscriptions"):
            listed = sorted({str(s.subscription_id) for s in clients.subscriptions().subscriptions.list()})
    except Misconfigured as exc:
        raise _TokenRefused(_refused(exc)) from exc
    except RecertifyError as exc:
        return [CheckResult(SOURCE, TOKEN, False, str(exc), "check that Azure Resource Manager is reachable")]
    results = [CheckResult(SOURCE, TOKEN, True, f"{how or 'client credentials'}: accepted by ARM")]
    if settings.subscriptions:
        readable = []
        for subscription in settings.subscriptions:
            result = _subscription(clients, subscription)
            results.append(result)
            if result.ok:
                readable.append(subscription)
    elif listed:
        readable = listed
        results.append(CheckResult(SOURCE, "the subscriptions to read", True, ", ".join(listed)))
    else:
        fix = f"assign {_ROLE} at each subscription to read (or a management group above it)"
        detail = "the credential can list no subscription (azure.subscriptions is empty: every one it lists)"
        return [*results, CheckResult(SOURCE, "the subscriptions to read", False, detail, fix)]
    for subscription in readable:
        results += [_probe(clients, subscription, action) for action in read_actions()]
    return results


def _refused(exc: Misconfigured) -> CheckResult:
    """A credential ARM refused, or an endpoint whose certificate is not trusted: no call can succeed."""
    if isinstance(exc.__cause__, ClientAuthenticationError):
        return CheckResult(SOURCE, TOKEN, False, str(exc), _CREDENTIAL_FIX)
    fix = "set azure.arm_url to ARM's endpoint; for a simulator, point REQUESTS_CA_BUNDLE at its certificate"
    return CheckResult(SOURCE, TOKEN, False, str(exc), fix)


def _subscription(clients: AzureClients, subscription: str) -> CheckResult:
    name = f"subscription {subscription}"
    try:
        with azure_call(name, "get the subscription"):
            found = clients.subscriptions().subscriptions.get(subscription)
    except Misconfigured as exc:
        raise _TokenRefused(_refused(exc)) from exc
    except RecertifyError as exc:
        fix = (
            f"check the id in azure.subscriptions and assign {_ROLE} at the subscription (or a management "
            "group above it); or remove it from azure.subscriptions"
        )
        return CheckResult(SOURCE, name, False, str(exc), fix)
    state = getattr(found.state, "value", found.state)  # the SDK's SubscriptionState enum, or a plain string
    return CheckResult(SOURCE, name, True, f"readable: {found.display_name} ({state})")


def _probe(clients: AzureClients, subscription: str, action: str) -> CheckResult:
    name = f"{action} in subscription {subscription}"
    probe: Probe | None = PROBE_OF.get(action.lower())
    if probe is None:
        return CheckResult(
            SOURCE, name, False, "no probe is defined for it", "add one to connectors/azure/probes.py PROBES"
        )
    what = probe.what.replace("{subscription}", subscription)
    try:
        with azure_call(f"subscription {subscription}", what):
            probe.call(clients, subscription)
    except Misconfigured as exc:
        raise _TokenRefused(_refused(exc)) from exc
    except AzureApiError as exc:
        if exc.status == 403 and exc.code == "AuthorizationFailed":
            fix = f"allow {action} to the bot's identity at subscription {subscription}: assign {_ROLE}"
            return CheckResult(SOURCE, name, False, f"denied ({exc.code}): {what}", fix)
        if exc.status == 404:
            return CheckResult(SOURCE, name, True, f"allowed (ARM answered {exc.code or 404})")
        fix = "check that Azure Resource Manager is reachable, then run again"
        return CheckResult(SOURCE, name, False, one_line(exc), fix)
    except RecertifyError as exc:  # unreachable, a cut-off or unparseable answer
        fix = "check that Azure Resource Manager is reachable, then run again"
        return CheckResult(SOURCE, name, False, one_line(exc), fix)
    return CheckResult(SOURCE, name, True, "allowed")
