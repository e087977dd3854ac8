"""Attestations: an answer, the audit events it rests on, a proof that they are in the chain up to a
checkpoint, signed (answer.py, bundle.py, canonical.py; `recertify attest`; checked by recertify_verify.py).
"""
