-- Version 2: a session's counters (tokenstore.Reserver) and attachments
-- (tokenstore.Attacher), sealed as a directory store seals its .count and .att
-- files: public, but authenticated with the store's key, so an edited or copied
-- value fails to open. Both go with their session's row.

-- All counters of a session in one sealed blob; null until the first Reserve.
ALTER TABLE sessions ADD COLUMN counters bytea;

CREATE TABLE attachments (
	token  bytea NOT NULL REFERENCES sessions (token) ON DELETE CASCADE,
	name   text  NOT NULL,
	sealed bytea NOT NULL,
	PRIMARY KEY (token, name)
);
