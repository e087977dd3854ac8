"""Finding the personal-data stores of one account: resources whose `personal_data_tag` has one of the
`personal_data_values`. The Resource Groups Tagging API finds them in one paginated call per region; when
it is unavailable (denied to the read role, or not offered), each kind lists its own resources instead. The
method used is recorded as a note, because the two can differ briefly (the tagging API is eventually
consistent) and an admin reading a surprising result should know which one produced it."""

from __future__ import annotations

import logging
from collections import defaultdict

from connectors.aws.accounts import AwsAccount
from connectors.aws.documents import tag_pairs
from connectors.aws.errors import AwsApiError, aws_call, parsing
from connectors.aws.inventory import StoreResource
from connectors.aws.settings import AwsSettings
from connectors.aws.stores import SPECS, StoreSpec, Tagged, resource_types, spec_for

logger = logging.getLogger(__name__)

TAGGING_PERMISSIONS = ("tag:GetResources",)
# The tagging API is an optimisation: these answers mean "not for you here", not "AWS is down".
_FALL_BACK_ON = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnsupportedOperation",
        "UnsupportedOperationException",
        "InvalidAction",
        "NotImplemented",
    }
)

Found = dict[tuple[StoreSpec, str], list[Tagged]]  # (kind, region) → personal-data resources


def discover_stores(account: AwsAccount, settings: AwsSettings) -> tuple[tuple[StoreResource, ...], str]:
    """Every personal-data store of the account in the configured regions, and a note on how they were
    found. Raises if any region cannot be read either way."""
    found: Found = defaultdict(list)
    seen: set[str] = set()  # global names (S3) come back from every region
    tagging: list[str] = []  # regions read with the tagging API
    listing: list[str] = []  # regions read service by service, with the reason
    for region in settings.regions:
        resources, denied = _in_region(account, region, settings)
        (listing if denied else tagging).append(f"{region}{f' ({denied})' if denied else ''}")
        for spec, item in resources:
            if item.arn not in seen:
                seen.add(item.arn)
                found[(spec, region)].append(item)
    stores = [store for (spec, region), items in found.items() for store in spec.read(account, region, items)]
    return tuple(sorted(stores, key=lambda s: s.arn)), _note(account.account_id, tagging, listing)


def _in_region(
    account: AwsAccount, region: str, settings: AwsSettings
) -> tuple[list[tuple[StoreSpec, Tagged]], str | None]:
    """The personal-data resources in one region, and why the tagging API was not used (None if it was)."""
    why: str | None = None
    try:
        resources = _tagging_api(account, region, settings)
    except AwsApiError as exc:
        if exc.code not in _FALL_BACK_ON:
            raise
        why = f"the tagging API answered {exc.code}"
        logger.info("account %s %s: %s; listing each service", account.account_id, region, why)
        resources = [(spec, item) for spec in SPECS for item in spec.list_tagged(account, region)]
    return [(spec, item) for spec, item in resources if _personal(item, settings)], why


def _tagging_api(account: AwsAccount, region: str, settings: AwsSettings) -> list[tuple[StoreSpec, Tagged]]:
    operation = f"tag:GetResources in {region}"
    client = account.client("resourcegroupstaggingapi", region)
    filters = [{"Key": settings.personal_data_tag, "Values": list(settings.personal_data_values)}]
    with aws_call(account.account_id, operation):
        pages = list(
            client.get_paginator("get_resources").paginate(
                TagFilters=filters, ResourceTypeFilters=resource_types()
            )
        )
    resources = []
    with parsing(account.account_id, operation):
        for page in pages:
            for mapping in page["ResourceTagMappingList"]:
                spec = spec_for(mapping["ResourceARN"])
                if spec is not None:
                    resources.append((spec, Tagged(mapping["ResourceARN"], tag_pairs(mapping.get("Tags")))))
    return resources


def _personal(item: Tagged, settings: AwsSettings) -> bool:
    return dict(item.tags).get(settings.personal_data_tag) in settings.personal_data_values


def _note(account_id: str, tagging: list[str], listing: list[str]) -> str:
    parts = []
    if tagging:
        parts.append(f"with the Resource Groups Tagging API in {', '.join(tagging)}")
    if listing:
        parts.append(f"by listing each service in {', '.join(listing)}")
    return f"account {account_id}: stores found {' and '.join(parts)}"
