"""ARM's error shape: every failure is `{"error": {"code", "message"}}` (Azure Resource Manager, "Common API
error format" of the resource-provider contract; the SDK's `ARMErrorFormat` reads exactly these two keys)."""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """Raised anywhere in routing; the server turns it into an error response."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def resource_not_found(resource_id: str) -> ArmError:
    """ARM's answer for a resource id that names nothing ("Resolve resource not found errors": "Code=
    ResourceNotFound; Message=The Resource 'Microsoft.Storage/storageAccounts/{storage-name}' under resource
    group {resource-group-name} was not found.")."""
    parts = [p for p in resource_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    group = parts[3] if len(parts) > 3 and lowered[2] == "resourcegroups" else ""
    at = lowered.index("providers") + 1 if "providers" in lowered else len(parts) - 1
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{'/'.join(parts[at:])}' under resource group '{group}' was not found. For more "
        "details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)
