"""Reading data a customer managed KMS key encrypts (R11 of /work/research/aws-rules.md): kms:Decrypt is
needed too, from the key policy (naming the caller, or its account plus IAM), a grant, or across accounts
both; unknowable is conditional, with the key in the path. Each test quotes the sentence it implements,
with its URL.

Where a missing kms:Decrypt must leave *no* read, the examples read a DynamoDB table, whose items are all
encrypted with the table's key; an S3 bucket's default key covers only objects uploaded without their own
encryption (see test_default_encryption_covers_only_objects_uploaded_without_their_own_encryption)."""

from __future__ import annotations

from connectors.aws.inventory import KmsGrant
from tests.connectors.aws.rules_support import ALLOWED, DENIED, MAYBE, decide, grant, grants, levels
from tests.data.aws.inventory import (
    ACCOUNT,
    ANA_ARN,
    CASES,
    OTHER,
    PAYROLL,
    account,
    allow,
    bucket,
    database,
    deny,
    doc,
    inventory,
    kms_key,
    policy,
    role,
    root,
    session_arn,
    statement,
    table,
    trust,
    user,
)

OBJECT = f"{PAYROLL}/2026/march.csv"
KEY = kms_key("1234abcd-12ab-34cd-56ef-1234567890ab")
KEY_ARN = KEY.arn
ENABLE_IAM = statement("Allow", {"AWS": root()}, "kms:*", "*", sid="Enable IAM policies")
READS = allow(["s3:GetObject", "dynamodb:GetItem"], "*")  # data reads only: no List action keeps "read"
DECRYPTS = allow("kms:Decrypt", KEY_ARN)
KEYED_TABLE = table(kms_key_arn=KEY_ARN)


def _no_table_read(inv, principal=ANA_ARN):
    """Neither the single request nor the access table gives `principal` a read of the keyed table."""
    return (
        decide(inv, principal, "dynamodb:GetItem", CASES) == DENIED and levels(inv, principal, CASES) == set()
    )


def _key(*statements, grants=(), account_id=ACCOUNT, unreadable=None):
    policy_doc = doc(*statements) if statements else None
    return kms_key(KEY.arn.rsplit("/", 1)[-1], policy_doc, *grants, account=account_id, unreadable=unreadable)


def _ana(key, *identity, store=None, boundary=None, scp=(), rcp=()):
    mine = policy("AnaAccess", *identity)
    bound = (boundary,) if boundary else ()
    return inventory(
        account(
            users=(user("ana", policies=(mine,), boundary=boundary),),
            policies=(mine, *bound),
            stores=(store or bucket(kms_key_arn=KEY_ARN),),
            kms_keys=(key,),
            scp_levels=scp,
            rcp_levels=rcp,
        )
    )


# --- R11.1 the caller needs kms:Decrypt --------------------------------------------------------------


def test_reading_an_sse_kms_object_needs_kms_decrypt_too() -> None:
    """R11.1 S3-SSEKMS-CALLER-NEEDS-DECRYPT. "To download an object encrypted with an AWS KMS key, you need
    kms:Decrypt permissions." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html. The key policy lets IAM
    decide; Ana's IAM policy gives s3:GetObject but not kms:Decrypt: she holds no certain read of the
    bucket's data (see the next test for why "certain")."""
    inv = _ana(_key(ENABLE_IAM), READS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) != ALLOWED
    assert (ANA_ARN, PAYROLL, "read") not in grants(inv) or grant(inv, ANA_ARN).conditional


def test_default_encryption_covers_only_objects_uploaded_without_their_own_encryption() -> None:
    """S3 default encryption "Specifies the default server-side encryption to apply to new objects in the
    bucket. If a PUT Object request doesn't specify any server-side encryption, this default encryption is
    applied." — https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionRule.html (S3 API
    model, as in the SDKs' ServerSideEncryptionRule). Objects uploaded with their own SSE-S3 header, or
    before the default was set, are not encrypted with the key: without kms:Decrypt, Ana may still read
    those. Her read of the store is conditional on which key encrypts each object, with the key in the
    path, not absent."""
    inv = _ana(_key(ENABLE_IAM), READS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, ANA_ARN)
    assert found.conditional and found.path[-1].kind == "kms_key"


def test_a_key_policy_enabling_iam_and_an_iam_policy_allowing_decrypt_give_the_read() -> None:
    """R11.2 KMS-KEY-POLICY-GATES-IAM. "To use an IAM policy to control access to a KMS key, the key policy
    for the KMS key must give the account permission to use IAM policies. Specifically, the key policy must
    include the policy statement that enables IAM policies." —
    https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies.html"""
    inv = _ana(_key(ENABLE_IAM), READS, DECRYPTS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    found = grant(inv, ANA_ARN)
    assert not found.conditional and "kms_key" not in [s.kind for s in found.path]


def test_without_the_key_policy_iam_policies_allowing_decrypt_have_no_effect() -> None:
    """R11.2. "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a
    KMS key. Without permission from the key policy, IAM policies that allow permissions have no effect." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"""
    admins = statement("Allow", {"AWS": f"arn:aws:iam::{ACCOUNT}:role/key-admin"}, "kms:*", "*")
    assert _no_table_read(_ana(_key(admins), READS, DECRYPTS, store=KEYED_TABLE))


def test_a_key_policy_naming_the_caller_is_enough_on_its_own() -> None:
    """R11.2. "For most resources, you only need an explicit Allow for the principal in either an
    identity-based policy or a resource-based policy to grant access. IAM role trust policies and KMS key
    policies are exceptions to this logic, because they must explicitly allow access for principals." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"""
    inv = _ana(_key(statement("Allow", {"AWS": ANA_ARN}, "kms:Decrypt", "*")), READS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert levels(inv, ANA_ARN) == {"read"}


def test_a_grant_to_the_caller_lets_it_decrypt() -> None:
    """R11.3 KMS-GRANTS. "A grant is a policy instrument that allows AWS principals to use KMS keys in
    cryptographic operations. [...] When authorizing access to a KMS key, grants are considered along with key
    policies and IAM policies." — https://docs.aws.amazon.com/kms/latest/developerguide/grants.html"""
    key = _key(ENABLE_IAM, grants=(KmsGrant(ANA_ARN, ("Decrypt",), constrained=False),))
    inv = _ana(key, READS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    assert not grant(inv, ANA_ARN).conditional


def test_a_grant_with_encryption_context_constraints_is_conditional_and_names_the_key() -> None:
    """R11.3 with the issue ("unknowable → conditional, with the reason"): a grant constrained to an
    encryption context holds only for requests with that context. "When authorizing access to a KMS key,
    grants are considered along with key policies and IAM policies." —
    https://docs.aws.amazon.com/kms/latest/developerguide/grants.html"""
    key = _key(ENABLE_IAM, grants=(KmsGrant(ANA_ARN, ("Decrypt",), constrained=True),))
    inv = _ana(key, READS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, ANA_ARN)
    assert found.conditional and found.path[-1].kind == "kms_key" and found.path[-1].id == KEY_ARN


def test_an_unreadable_key_policy_makes_the_read_conditional_and_says_why() -> None:
    """Issue 14, "What must work" 1: "without it there is no effective read (unknowable → conditional, with
    the reason)". R11.2: "Every KMS key must have exactly one key policy." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"""
    inv = _ana(_key(unreadable="kms:GetKeyPolicy answered AccessDeniedException"), READS, DECRYPTS)
    assert decide(inv, ANA_ARN, "s3:GetObject", OBJECT) == MAYBE
    found = grant(inv, ANA_ARN)
    assert found.conditional and found.path[-1].kind == "kms_key"
    assert "AccessDeniedException" in found.path[-1].name


def test_a_key_policy_deny_wins_over_a_grant() -> None:
    """R11.2. "No AWS principal, including the account root user or key creator, has any permissions to a KMS
    key unless they are explicitly allowed, and never denied, in a key policy, IAM policy, or grant." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"""
    key = _key(
        ENABLE_IAM,
        statement("Deny", {"AWS": ANA_ARN}, "kms:Decrypt", "*"),
        grants=(KmsGrant(ANA_ARN, ("Decrypt",), constrained=False),),
    )
    assert _no_table_read(_ana(key, READS, DECRYPTS, store=KEYED_TABLE))


def test_an_iam_policy_denying_decrypt_stops_a_reader_the_key_policy_names() -> None:
    """R11.2. "(You can use an IAM policy to deny a permission to a KMS key without permission from a key
    policy.)" — https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html; and "never denied,
    in a key policy, IAM policy, or grant" —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"""
    key = _key(statement("Allow", {"AWS": ANA_ARN}, "kms:Decrypt", "*"))
    assert _no_table_read(_ana(key, READS, deny("kms:Decrypt", "*"), store=KEYED_TABLE))


def test_a_via_service_condition_is_decided_for_reads_through_the_store() -> None:
    """R11.4 (kms:ViaService): a key policy allowing kms:Decrypt only through one service in the key's
    Region holds for reads through a store of that service ("When you use SSE-KMS encryption with an S3
    bucket, the AWS KMS keys must be in the same Region as the bucket." —
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html) and not for another
    service's."""

    def via(service: str) -> dict:
        return statement(
            "Allow",
            {"AWS": root()},
            "kms:Decrypt",
            "*",
            condition={"StringEquals": {"kms:ViaService": f"{service}.eu-west-2.amazonaws.com"}},
        )

    assert decide(_ana(_key(via("s3")), READS, DECRYPTS), ANA_ARN, "s3:GetObject", OBJECT) == ALLOWED
    inv = _ana(_key(via("dynamodb")), READS, DECRYPTS, store=KEYED_TABLE)
    assert decide(inv, ANA_ARN, "dynamodb:GetItem", CASES) == ALLOWED
    assert _no_table_read(_ana(_key(via("s3")), READS, DECRYPTS, store=KEYED_TABLE))


def test_anonymous_reads_of_sse_kms_objects_fail() -> None:
    """R11.1: "All GET and PUT requests for an object protected by KMS will fail if they're not made via
    SSL or using SigV4." —
    https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-copy-object-request/ssekms-key-id.html
    An anonymous request is unsigned: a public GetObject grant on an SSE-KMS bucket gives no certain read
    (only objects not encrypted with the key could be read)."""
    store = bucket(
        policy_doc=doc(statement("Allow", "*", "s3:GetObject", f"{PAYROLL}/*")), kms_key_arn=KEY_ARN
    )
    inv = _ana(_key(statement("Allow", "*", "kms:Decrypt", "*")), store=store)
    assert decide(inv, "*", "s3:GetObject", OBJECT) != ALLOWED
    assert ("*", PAYROLL, "read") not in grants(inv) or grant(inv, "*").conditional


# --- across accounts -------------------------------------------------------------------------------------


def test_across_accounts_the_key_policy_and_the_callers_iam_policy_must_both_allow_decrypt() -> None:
    """R11.3 KMS-CROSS-ACCOUNT. "Cross-account access requires permission in the key policy of the KMS key
    and in an IAM policy in the external user's account." and "Neither the key policy nor the IAM policy
    alone is sufficient—you must change both." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"""
    consent = statement("Allow", {"AWS": OTHER}, "dynamodb:GetItem", CASES)
    store = table(policy_doc=doc(consent), kms_key_arn=KEY_ARN)
    for key_names_other, eve_decrypts, expected in (
        (True, True, ALLOWED),
        (True, False, DENIED),
        (False, True, DENIED),
    ):
        key_statements = [ENABLE_IAM]
        if key_names_other:
            key_statements.append(statement("Allow", {"AWS": root(OTHER)}, "kms:Decrypt", "*"))
        eve_policy = policy("EveAccess", READS, *([DECRYPTS] if eve_decrypts else []), account=OTHER)
        eve = user("eve", policies=(eve_policy,), account=OTHER)
        inv = inventory(
            account(stores=(store,), kms_keys=(_key(*key_statements),)),
            account(users=(eve,), policies=(eve_policy,), account_id=OTHER),
        )
        assert decide(inv, eve.arn, "dynamodb:GetItem", CASES) == expected, (key_names_other, eve_decrypts)
        assert levels(inv, eve.arn, CASES) == ({"read"} if expected == ALLOWED else set())


def test_an_unread_account_reads_encrypted_data_only_if_the_key_policy_names_it() -> None:
    """R11.3 with issue 14 ("for accounts it does not read, the account itself is the principal"): "The key
    policy determines who can have access to the KMS key." and "Cross-account access requires permission in
    the key policy of the KMS key and in an IAM policy in the external user's account." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html. The
    partner's own IAM policies are unknown, so the account holds what both the table and the key policy
    give it."""
    partner = "999988887777"
    store = table(
        policy_doc=doc(statement("Allow", {"AWS": partner}, "dynamodb:GetItem", CASES)), kms_key_arn=KEY_ARN
    )
    for key_statements, expected in (
        ([ENABLE_IAM], set()),
        ([ENABLE_IAM, statement("Allow", {"AWS": root(partner)}, "kms:Decrypt", "*")], {"read"}),
    ):
        inv = inventory(account(stores=(store,), kms_keys=(_key(*key_statements),)))
        assert levels(inv, root(partner), CASES) == expected
        assert decide(inv, root(partner), "dynamodb:GetItem", CASES) == (ALLOWED if expected else DENIED)


# --- DynamoDB and RDS -----------------------------------------------------------------------------------


def test_reading_a_dynamodb_table_with_a_customer_managed_key_needs_kms_decrypt_too() -> None:
    """R11.4 DDB-KMS-ON-BEHALF-OF-CALLER (an inference the research notes flag as such): "To decrypt the
    table key. DynamoDB sends a Decrypt request to AWS KMS that specifies the KMS key for the table. [...]
    The user is the principal in your AWS account who is accessing the table." —
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html"""
    assert _no_table_read(_ana(_key(ENABLE_IAM), READS, store=KEYED_TABLE))
    inv = _ana(_key(ENABLE_IAM), READS, DECRYPTS, store=KEYED_TABLE)
    assert decide(inv, ANA_ARN, "dynamodb:GetItem", CASES) == ALLOWED
    assert levels(inv, ANA_ARN, CASES) == {"read"}


def test_rds_readers_need_no_kms_permission() -> None:
    """R11.5 RDS-KMS-TRANSPARENT. "After your data is encrypted, Amazon RDS handles authentication of
    access and decryption of your data transparently with a minimal impact on performance." —
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html"""
    store = database(kms_key_arn=KEY_ARN)
    inv = _ana(_key(), allow("rds:*", "*"), store=store)
    assert levels(inv, ANA_ARN, store.arn) == {"read", "write", "admin"}


# --- limits on the key side -----------------------------------------------------------------------------


def test_an_scp_denying_decrypt_stops_a_reader_the_key_policy_names() -> None:
    """R1.1/R6.1: SCPs are among "all policies within the account that apply to the request", and "If the
    enforcement code finds even one explicit deny that applies, the enforcement code returns a final
    decision of Deny." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html.
    "An SCP restricts permissions for IAM users and roles in member accounts" —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"""
    no_decrypt = doc(allow("*", "*"), deny("kms:Decrypt", "*"))
    key = _key(statement("Allow", {"AWS": ANA_ARN}, "kms:Decrypt", "*"))
    assert _no_table_read(_ana(key, READS, scp=((no_decrypt,),), store=KEYED_TABLE))


def test_an_rcp_denying_decrypt_on_the_keys_account_stops_every_reader() -> None:
    """R7.1/R7.2: KMS (kms) is among the services RCPs apply to, and "If a permission is blocked at any level
    above the account, a resource in the affected account does not have that permission, even if the resource
    owner attaches a resource-based policy that allows full access to any user." —
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"""
    no_decrypt = doc(allow("*", "*"), deny("kms:Decrypt", "*"))
    assert _no_table_read(_ana(_key(ENABLE_IAM), READS, DECRYPTS, rcp=((no_decrypt,),), store=KEYED_TABLE))


def test_a_key_policy_naming_a_role_arn_is_cut_by_the_roles_boundary() -> None:
    """R2.2. "IAM role – Resource-based policies that grant permissions to an IAM role ARN are limited by
    an implicit deny in a permissions boundary or session policy." —
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
    (a key policy is a resource policy: "A key policy is a resource policy for an AWS KMS key." —
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html)"""
    reads = policy("RoleReads", READS)
    only_dynamodb = policy("OnlyDynamoDB", allow("dynamodb:*", "*"))
    analyst = role("analyst", trust({"AWS": root()}), reads, boundary=only_dynamodb)
    key = _key(statement("Allow", {"AWS": analyst.arn}, "kms:Decrypt", "*"))
    inv = inventory(
        account(
            roles=(analyst,),
            policies=(reads, only_dynamodb),
            stores=(KEYED_TABLE,),
            kms_keys=(key,),
        )
    )
    assert decide(inv, session_arn("analyst", "batch"), "dynamodb:GetItem", CASES) == DENIED
    assert levels(inv, analyst.arn, CASES) == set()
