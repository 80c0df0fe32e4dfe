/*
 * session_keys.h: the session-token wire format shared by the gpl_session
 * program and the programs that accept session tokens (the C counterpart of
 * upstream's `session_keys` crate used with its "no-entrypoint" feature).
 * Facts follow the gpl_session wire reference, §4–§6.
 */
#ifndef SESSIONKIT_SESSION_KEYS_H
#define SESSIONKIT_SESSION_KEYS_H

#include "../include/sbf.h"
#include "anchor.h"

/* SessionError (#[error_code], offset 6000). */
#define SESSION_ERROR_VALIDITY_TOO_LONG 6000
#define SESSION_ERROR_INVALID_TOKEN 6001
#define SESSION_ERROR_NO_TOKEN 6002
#define SESSION_ERROR_INVALID_AUTHORITY 6003

/* sha256("account:SessionToken")[..8] and sha256("account:SessionTokenV2")[..8]
 * as little-endian u64s. */
#define SESSION_TOKEN_V1_DISCRIMINATOR 0x0f01152e0e7304e9ULL
#define SESSION_TOKEN_V2_DISCRIMINATOR 0x2980740dfe5503b2ULL

/* Token layouts: discriminator, authority, target_program, session_signer,
 * [fee_payer,] valid_until (i64 LE). */
#define SESSION_TOKEN_AUTHORITY 8
#define SESSION_TOKEN_TARGET_PROGRAM 40
#define SESSION_TOKEN_SESSION_SIGNER 72
#define SESSION_TOKEN_V1_VALID_UNTIL 104
#define SESSION_TOKEN_V1_LEN 112
#define SESSION_TOKEN_V2_FEE_PAYER 104
#define SESSION_TOKEN_V2_VALID_UNTIL 136
#define SESSION_TOKEN_V2_LEN 144

/* PDA seed prefixes (SessionToken::SEED_PREFIX, SessionTokenV2::SEED_PREFIX). */
#define SESSION_TOKEN_V1_SEED "session_token"
#define SESSION_TOKEN_V2_SEED "session_token_v2"

/* Defaults and limits of create_*: 1 hour, 0.01 SOL, at most 7 days ahead. */
#define SESSION_DEFAULT_VALIDITY_SECONDS 3600
#define SESSION_DEFAULT_TOP_UP_LAMPORTS 10000000ULL
#define SESSION_MAX_VALIDITY_SECONDS 604800

typedef enum {
  SESSION_TOKEN_V1 = 1,
  SESSION_TOKEN_V2 = 2,
} SessionTokenVersion;

static inline const SolPubkey *session_token_authority(const SbfAccount *token) {
  return (const SolPubkey *)(token->data + SESSION_TOKEN_AUTHORITY);
}

static inline const SolPubkey *session_token_target_program(const SbfAccount *token) {
  return (const SolPubkey *)(token->data + SESSION_TOKEN_TARGET_PROGRAM);
}

static inline const SolPubkey *session_token_session_signer(const SbfAccount *token) {
  return (const SolPubkey *)(token->data + SESSION_TOKEN_SESSION_SIGNER);
}

static inline const SolPubkey *session_token_fee_payer(const SbfAccount *token) {
  return (const SolPubkey *)(token->data + SESSION_TOKEN_V2_FEE_PAYER);
}

static inline i64 session_token_valid_until(const SbfAccount *token,
                                            SessionTokenVersion version) {
  u64 offset = version == SESSION_TOKEN_V1 ? SESSION_TOKEN_V1_VALID_UNTIL
                                           : SESSION_TOKEN_V2_VALID_UNTIL;
  return *(const i64 *)(token->data + offset);
}

/*
 * The token PDA seeds [prefix, target_program, session_signer, authority]
 * plus a slot for the bump, as AnchorSeeds expects them.
 */
typedef struct {
  SolSignerSeed seeds[5];
  u8 bump;
} SessionTokenSeeds;

static inline void session_token_seeds(SessionTokenSeeds *s, SessionTokenVersion version,
                                       const SolPubkey *target_program,
                                       const SolPubkey *session_signer,
                                       const SolPubkey *authority) {
  if (version == SESSION_TOKEN_V1) {
    s->seeds[0].addr = (const u8 *)SESSION_TOKEN_V1_SEED;
    s->seeds[0].len = sizeof(SESSION_TOKEN_V1_SEED) - 1;
  } else {
    s->seeds[0].addr = (const u8 *)SESSION_TOKEN_V2_SEED;
    s->seeds[0].len = sizeof(SESSION_TOKEN_V2_SEED) - 1;
  }
  s->seeds[1].addr = target_program->bytes;
  s->seeds[1].len = 32;
  s->seeds[2].addr = session_signer->bytes;
  s->seeds[2].len = 32;
  s->seeds[3].addr = authority->bytes;
  s->seeds[3].len = 32;
}

/* ------------------------------------------------------------------------
 * Target-program side: what upstream's `Session` derive and
 * `#[session_auth_or]` generate (wire reference §6).
 * ------------------------------------------------------------------------ */

/* KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5, upstream's session_keys::ID. */
static inline void session_keys_program_id(SolPubkey *out) {
  out->words[0] = 0x2dabcd7a3e66c704ULL;
  out->words[1] = 0xb76c884ea33c0493ULL;
  out->words[2] = 0xbe89ffae8e91a93cULL;
  out->words[3] = 0x86b795f077a0b183ULL;
}

/*
 * Option<Account<'info, SessionToken | SessionTokenV2>>. The target program's
 * own id in the slot means None (Anchor's optional-account convention) and
 * leaves *token NULL. Otherwise the account is loaded like Account<T>: not
 * initialized 3012, not owned by the session program 3007, then the
 * discriminator selects V1 or V2 (neither: 3002) and the data must hold the
 * whole token (3003). Accepting both versions in one slot is our extension;
 * an upstream target declares one of the two types.
 */
SBF_HELPER SBF_NOINLINE u64 session_keys_take_token(AnchorAccounts *c,
                                                    const SolPubkey *target_program,
                                                    SbfAccount **token,
                                                    SessionTokenVersion *version) {
  SbfAccount *a;
  SolPubkey session_program;
  AnchorAccountType type;
  u64 err = anchor_take(c, "session_token", &a);
  if (err != SUCCESS) {
    return err;
  }
  *token = NULL;
  if (sbf_pubkey_eq(&a->key, target_program)) {
    return SUCCESS;
  }
  session_keys_program_id(&session_program);
  type.owner = &session_program;
  type.discriminator = SESSION_TOKEN_V1_DISCRIMINATOR;
  type.size = SESSION_TOKEN_V1_LEN;
  *version = SESSION_TOKEN_V1;
  if (a->data_len >= ANCHOR_DISCRIMINATOR_LEN &&
      *(const u64 *)a->data == SESSION_TOKEN_V2_DISCRIMINATOR) {
    type.discriminator = SESSION_TOKEN_V2_DISCRIMINATOR;
    type.size = SESSION_TOKEN_V2_LEN;
    *version = SESSION_TOKEN_V2;
  }
  err = anchor_check_account(a, "session_token", &type);
  if (err != SUCCESS) {
    return err;
  }
  *token = a;
  return SUCCESS;
}

/*
 * SessionToken(V2)::validate: the token must sit at the session program's
 * PDA of (prefix, target_program, session_signer, authority), and must not
 * have expired (Clock unix_timestamp < valid_until). Either failure is
 * SessionError::InvalidToken raised by the target (6001). session_signer
 * must already be known to have signed.
 */
typedef struct {
  const SbfAccount *token;
  SessionTokenVersion version;
  const SolPubkey *target_program;
  const SolPubkey *session_signer;
  const SolPubkey *authority;
} SessionValidity;

SBF_HELPER SBF_NOINLINE u64 session_keys_validate(const SessionValidity *v) {
  SessionTokenSeeds s;
  SolPubkey session_program;
  SolPubkey pda;
  SolClock clock;
  session_token_seeds(&s, v->version, v->target_program, v->session_signer, v->authority);
  session_keys_program_id(&session_program);
  if (sol_try_find_program_address(s.seeds, 4, &session_program, &pda, &s.bump) != SUCCESS) {
    return ERROR_INVALID_SEEDS;
  }
  if (!sbf_pubkey_eq(&pda, &v->token->key)) {
    return anchor_error_keys(SESSION_ERROR_INVALID_TOKEN, NULL, &pda, &v->token->key);
  }
  u64 err = sol_get_clock_sysvar(&clock);
  if (err != SUCCESS) {
    return err;
  }
  if (!(clock.unix_timestamp < session_token_valid_until(v->token, v->version))) {
    return anchor_error(SESSION_ERROR_INVALID_TOKEN, NULL);
  }
  return SUCCESS;
}

#endif /* SESSIONKIT_SESSION_KEYS_H */
