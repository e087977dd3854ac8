"""Campaign evidence for auditors: every item of a campaign with its recommendation, decisions, delivery and
revocation, reviewer quality, as CSV, JSON and a self-contained HTML report, with a manifest of SHA-256s
and the audit chain head they were read at (`recertify audit export`).

    collect     the read-only, consistent, complete read (auditors and admins)
    rows        the queries and one `EvidenceRow` per item
    quality     reviewer quality (time to decide, batches, the "kept everything within N seconds" flag)
    summary     completion, timeliness, outcomes by store, revocations by fate
    render_*    CSV (spreadsheet-safe), JSON, HTML (+ charts: inline SVG)
    manifest    atomic writes and the manifest
    export      the use case tying them together
"""
