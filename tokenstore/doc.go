// Package tokenstore keeps the ephemeral keys of Solana session tokens
// encrypted at rest, with each token's public metadata in clear beside it.
//
// A backend that mints sessions for many players holds one session signer key
// per session token. A leaked key is bounded by the token's scope and
// expiry, but the key is also the only way to spend the top-up lamports its
// signer holds, so it must be both kept secret and never lost. A [Store]
// keeps them: [Dir] in a directory shared by any number of processes,
// [Memory] in memory for tests.
//
//	st, err := tokenstore.Open(ctx, "/var/lib/game/sessions", tokenstore.Passphrase(pw))
//	if errors.Is(err, fs.ErrNotExist) {
//		st, err = tokenstore.Create(ctx, "/var/lib/game/sessions", tokenstore.Passphrase(pw))
//	}
//	...
//	err = st.Put(ctx, rec, key)            // durable when it returns
//	rec, key, err := st.Get(ctx, token)    // key.Sign, key.PrivateKey; then key.Zero()
//	recs, err := st.List(ctx, tokenstore.Filter{Authority: player})
//
// Keys are [txn.SessionKey] values, the type the rest of sessionkit signs
// with: Put takes one made by txn.GenerateSessionKey or
// txn.NewSessionKey, and Get returns a fresh one.
//
// # Credentials
//
// A store is created with a [Passphrase], stretched by Argon2id once per
// [Open], or with a 32-byte [MasterKey] from a KMS or secret manager, used
// without a KDF. [Create] picks the Argon2id parameters, which the header
// keeps: [StandardArgon2] by default (time 3, 64 MiB, 4 threads: about
// 200 ms), [LightArgon2] for tests and small machines (OWASP's minimum: time
// 2, 19 MiB, 1 thread, a fifth of the work per Open and per guess), or
// others with [WithArgon2]. Either credential is expanded with HKDF-SHA256
// (salt: the store id) into a record key and a key-check value. The
// key-check value sits in the header, so a wrong credential fails with
// [ErrWrongPassphrase] or [ErrWrongKey] before any record is read. It is an
// HKDF output under its own label rather than an encryption of a known
// constant, so the record key never encrypts known plaintext and the check
// reveals nothing about it; it lets an attacker test passphrase guesses no
// faster than a record would, at the cost of one Argon2id evaluation each.
//
// # Layout
//
//	<dir>/              0700
//	<dir>/store.json    0600  header, written once by Create
//	<dir>/lock          0600  empty; flock target
//	<dir>/tmp/          0700  files being written
//	<dir>/sessions/     0700  one <token address, base58>.rec per session, 0600
//	                          and <token address>.lease while one is leased, 0600
//	                          <token address>.count, its counters (Reserver), 0600
//	                          <token address>.grant.att, its grant (Attacher), 0600
//
// Every one of these must be a real directory or regular file owned by the
// store's user: the store follows no symbolic links, not even <dir> itself
// (its parents are the caller's business). [Open] opens the directories
// once with O_DIRECTORY|O_NOFOLLOW and reaches everything in them relative
// to those descriptors, so a link planted later redirects nothing; record
// files are opened with O_NOFOLLOW|O_NONBLOCK and checked with fstat before
// a byte is read, so a FIFO cannot block a read. Anything else is refused
// with an [*UnsafePathError] naming it.
//
// store.json, format version 1:
//
//	{
//	  "format": "sessionkit-tokenstore",
//	  "version": 1,
//	  "store_id": "<16 random bytes, base64>",
//	  "kdf": {"name": "argon2id", "time": 3, "memory_kib": 65536, "threads": 4,
//	          "salt": "<16 random bytes, base64>"},
//	  "key_check": "<32 bytes, base64>"
//	}
//
// A MasterKey store has "kdf": {"name": "raw"}. Unknown fields are
// rejected; a later "version" is reported as a [*VersionError], a version
// of 0 or below as a [*CorruptError], since none was ever written.
//
// # Record format
//
// A record file, format version 1, is exactly 286 bytes; integers are
// little-endian:
//
//	offset  size  field
//	     0     4  magic "SKTR"
//	     4     1  record format version = 1
//	     5    32  program id
//	    37     1  session token version (1 or 2, pda.V1 or pda.V2)
//	    38    32  session token address (also the file name)
//	    70    32  authority
//	   102    32  target program
//	   134    32  session signer public key
//	   166    32  fee payer, 32 zero bytes if not recorded
//	   198     8  valid_until, int64 unix seconds
//	   206     8  created_at, int64 unix nanoseconds
//	   214    24  nonce, random per write
//	   238    48  XChaCha20-Poly1305(record key, nonce, seed, AD): 32 + 16-byte tag
//
// The associated data AD is the 16-byte store id followed by bytes 0..214,
// so the metadata, the magic and the version are authenticated with the
// seed and a record cannot be moved between stores. Only the 32-byte ed25519
// seed is stored; [Dir.Get] rebuilds the key from it and checks that it
// derives the recorded session signer. [Dir.List] needs no seed, but it
// still authenticates every record it reads (one AEAD open of 32 bytes,
// about 1 µs, whose output is wiped at once), so listed, expired and pruned
// records are never ones an attacker edited. A record
// whose name, length, magic, fields or tag are wrong is reported as a
// [*CorruptError] naming its file; the other records stay readable.
//
// # Writes, crashes and sharing
//
// Put writes the record to a new file in tmp, fsyncs it, hard-links it to
// its name in sessions (which fails if the name exists, making Put
// create-only without a lock), removes the temporary name and fsyncs the
// sessions directory. A record therefore either exists complete and durable
// or not at all, even if the writer is killed at any instruction. Delete
// and Prune unlink and fsync the directory.
//
// Processes coordinate through flock on <dir>/lock. Put holds a shared lock
// while its temporary file exists; [Open] and [Dir.Prune] take the
// exclusive lock without waiting and, if they get it, remove everything in
// tmp, which can then only be left over from killed writers. Readers take no
// lock: every record file appears and disappears atomically. The store
// needs a local filesystem with hard links and flock (ext4, xfs, btrfs,
// tmpfs, APFS); network filesystems are not supported, nor are platforms
// without flock.
//
// # Leases
//
// Two processes that restored the same store would both sign with its
// keys. [Leaser] (implemented by Dir and Memory) records one holder per
// session with an expiry. Dir writes it to <token>.lease beside the
// record, authenticated like one, replaced atomically under the exclusive
// lock and read under the same no-link, regular-file rules; the file
// format is laid out in lease.go. Delete and Prune remove the lease with
// its record.
//
// # Counters and attachments
//
// [Reserver] keeps a session's counters (moves, lamports, tokens reserved
// before signing) and [Attacher] small public documents beside it (its
// permission grant, its token caps). Dir writes them beside the record, authenticated like
// one, under the same no-link, regular-file rules; counters are replaced
// atomically and fsynced under the exclusive lock, so two processes never
// reserve the same block. An authenticated file cannot be forged, but a
// user who can write the directory can put back an older counter file of
// the same token: counters are trusted no more than the rest of the store.
// Delete and Prune remove them with the record; the formats are laid out
// in reserve.go.
//
// # Threat model
//
// The store protects against:
//   - someone who obtains the files (a stolen disk, a backup, another local
//     user) without the passphrase or master key: seeds are encrypted, and
//     a passphrase costs one Argon2id evaluation per guess;
//   - tampering with metadata or ciphertext, swapping records between
//     files, or moving them from another store: authentication fails;
//   - crashes and kills at any point: no committed record is lost and no
//     partial record becomes visible.
//
// It does not protect against:
//   - an attacker who runs code as the store's user or as root, or reads
//     its memory: the record key lives in the process for as long as the
//     store is open;
//   - a weak passphrase, or a passphrase or master key kept beside the
//     store (an environment variable on the same host, a config file);
//   - anyone with write access deleting records, or rolling the whole
//     directory (or single records) back to an older copy: records are
//     immutable, so an old copy is a valid record that was deleted since;
//   - disclosure of the metadata, which is in clear by design: who holds
//     sessions for which programs, and until when;
//   - timing and other side channels.
//
// # Key material in memory
//
// Seeds, derived keys and passphrase copies are zeroed as soon as the
// package is done with them, and [txn.SessionKey.Zero] wipes a key. Go gives
// no stronger guarantee: the garbage collector may have copied memory, a
// passphrase or key that was ever a string cannot be wiped, Argon2id's
// working memory is released unwiped, and the AEAD of golang.org/x/crypto
// keeps its own copy of the record key until the store is garbage
// collected. [txn.SessionKey] and [Credential] print no secrets with any
// fmt verb.
//
// # Solana CLI keypairs
//
// [ImportSolanaKeypair] and [ExportSolanaKeypair] read and write the Solana
// CLI keypair file, a JSON array of the 64 bytes seed || public key. Export
// puts the secret in clear; a CLI must offer it only behind an explicit flag.
package tokenstore
