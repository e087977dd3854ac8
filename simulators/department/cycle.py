"""The review cycle the department's admins wrote, as the YAML file `recertify demo` writes into its output
directory and applies from there (cycles are code: validated, versioned, hashed into the audit chain).

It is examples/cycles/quarterly-personal-data.yaml without a schedule (the demo starts it by hand), with one
stage, and with the department's Data Protection Officer as the fallback reviewer.
"""

from __future__ import annotations

FILE_NAME = "personal-data-review.yaml"

CYCLE_YAML = """\
# The cycle `recertify demo` runs over the department of simulators/department/: every personal-data store
# in AWS, Entra ID and Azure, reviewed by its owner in Slack. Check it with `recertify cycles validate FILE`.

name: personal-data-review
description: Review of all access to the department's personal-data stores (AWS, Entra ID and Azure).

duration_days: 14                  # from the start to the deadline

reviewers:
  # The store's owner reviews; an owner's own access goes to their manager; nobody reviews their own.
  order: [owner, manager, fallback]
  fallback: dana.whitfield@dept.example.gov   # the Data Protection Officer, who also gets escalations

reminders:
  days_before: [7, 3, 1]           # days before the deadline
  daily_when_overdue: true

escalate_after_days: 5             # a reviewer silent for 5 days hands their items to the fallback

# At the deadline, items nobody decided are revoked, but only when the reviewer was reached and reminded,
# and either answered something or had been escalated. The safety envelope still applies: protected
# accounts are never planned, and too many automatic revocations on one store wait for an admin.
on_no_response: revoke

auto_apply: false                  # an admin approves the plan (in the demo, whoever runs it)

# Keeping access to special-category data needs a written justification (a modal in Slack).
justification_required_for: [special-category]

recommendations:
  inactive_days: 90                # unused for 90 days: recommend revoking
  disabled_accounts: true
  guests: true
"""
