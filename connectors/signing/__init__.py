"""Attestation signers (reviews.ports.AttestationSigner): an Ed25519 key file here, AWS KMS in kms.py."""
