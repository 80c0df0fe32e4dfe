-- Version 1: the store header, the sessions and their leases.
-- Runs with search_path set to the store's schema, inside the migration's transaction.

-- One row: the store header, the same JSON as a directory store's store.json
-- (store id, KDF parameters, key check). Never secret.
CREATE TABLE store_header (
	id     smallint PRIMARY KEY CHECK (id = 1),
	header bytea NOT NULL
);

-- One row per session. Every column but nonce and sealed is public and bound
-- as associated data by the AEAD that seals the seed, so editing any of them
-- makes the row fail to open. Keys are 32-byte public keys.
CREATE TABLE sessions (
	token          bytea    PRIMARY KEY CHECK (length(token) = 32),
	program_id     bytea    NOT NULL CHECK (length(program_id) = 32),
	version        smallint NOT NULL,
	authority      bytea    NOT NULL CHECK (length(authority) = 32),
	target_program bytea    NOT NULL CHECK (length(target_program) = 32),
	session_signer bytea    NOT NULL CHECK (length(session_signer) = 32),
	fee_payer      bytea    NOT NULL CHECK (length(fee_payer) = 32),
	valid_until    bigint   NOT NULL, -- unix seconds, as in the token account
	created_at     bigint   NOT NULL, -- unix nanoseconds
	nonce          bytea    NOT NULL,
	sealed         bytea    NOT NULL,
	-- The lease: who holds the session, until when (the database's clock),
	-- and the id that tells this Acquire from any other. All null or none.
	lease_id       bytea,
	lease_holder   text,
	lease_expires  timestamptz,
	CHECK ((lease_id IS NULL) = (lease_holder IS NULL) AND (lease_id IS NULL) = (lease_expires IS NULL))
);

-- List orders by valid_until then token; each filter has an index in that order,
-- and the expiry index serves ListExpired, Prune and ClaimDue.
CREATE INDEX sessions_by_authority ON sessions (authority, valid_until, token);
CREATE INDEX sessions_by_target ON sessions (target_program, valid_until, token);
CREATE INDEX sessions_by_expiry ON sessions (valid_until, token);
