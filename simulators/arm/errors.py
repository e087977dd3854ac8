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
    """ARM's answer for a resource id that names nothing."""
    parts = [p for p in resource_id.split("/") if p]
    kind = "/".join(parts[-2:-1]) or "resource"
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{kind}/{parts[-1] if parts else ''}' under resource group was not found. For more "
        "details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)
