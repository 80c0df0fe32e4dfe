//go:build ignore

// program/build.mk compiles this file with clang; the constraint above keeps the Go tool,
// which refuses C files in a package that does not use cgo, from reading it.
/*
 * gpl_session: the session-keys program, wire-identical to upstream
 * magicblock-labs/session-keys 3.0.11 (Anchor program `gpl_session`).
 *
 * Five instructions with upstream's discriminators, borsh arguments and
 * account lists (wire reference §3):
 *   create_session(top_up, valid_until, lamports)             V1, authority pays
 *   create_session_with_payer(top_up, valid_until, lamports)  V1, payer pays
 *   create_session_v2(top_up, valid_until, lamports)          V2, fee_payer pays
 *   revoke_session()     V1: anyone; lamports go to the authority
 *   revoke_session_v2()  V2: the authority while active, anyone once expired;
 *                        lamports go to the fee payer
 *
 * Checks run in the order Anchor generates them (see anchor.h), so each
 * mistake a client can make surfaces as the same error code upstream gives.
 *
 * Deliberate differences from the Anchor build: the program id is read from
 * the input rather than compiled in (no DeclaredProgramIdMismatch), so the
 * same binary serves any deployment address; and Anchor's injected IDL
 * instructions (on-chain IDL account management) are not provided: their
 * tag is an unknown instruction here (101).
 */
#include "../include/sbf.h"
#include "anchor.h"
#include "session_keys.h"

/* sha256("global:<name>")[..8] as little-endian u64s. */
#define IX_CREATE_SESSION 0xe37a1996b38fc1f2ULL
#define IX_CREATE_SESSION_WITH_PAYER 0xfcbe923c0cab8557ULL
#define IX_REVOKE_SESSION 0xc207029078c65c56ULL
#define IX_CREATE_SESSION_V2 0x26ebc241076ce9dfULL
#define IX_REVOKE_SESSION_V2 0x66089b2bbc7d3bd3ULL

static void anchor_program_error_text(u32 code, AnchorErrorText *out) {
  switch (code) {
  case SESSION_ERROR_VALIDITY_TOO_LONG:
    ANCHOR_ERROR_TEXT(out, "ValidityTooLong", "Requested validity is too long");
    break;
  case SESSION_ERROR_INVALID_TOKEN:
    ANCHOR_ERROR_TEXT(out, "InvalidToken", "Invalid session token");
    break;
  case SESSION_ERROR_NO_TOKEN:
    ANCHOR_ERROR_TEXT(out, "NoToken", "No session token provided");
    break;
  case SESSION_ERROR_INVALID_AUTHORITY:
    ANCHOR_ERROR_TEXT(out, "InvalidAuthority", "Invalid authority");
    break;
  default:
    ANCHOR_ERROR_TEXT(out, "Unknown", "Unknown error");
    break;
  }
}

/* ------------------------------------------------------------------------
 * create_session, create_session_with_payer, create_session_v2
 * ------------------------------------------------------------------------ */

typedef enum {
  CREATE_V1,         /* CreateSessionToken: the authority pays */
  CREATE_WITH_PAYER, /* CreateSessionTokenWithPayer: V1 token, separate payer */
  CREATE_V2,         /* CreateSessionTokenV2: V2 token records the fee payer */
} CreateKind;

typedef struct {
  bool has_top_up;
  bool top_up;
  bool has_valid_until;
  u64 valid_until; /* i64 bits */
  bool has_lamports;
  u64 lamports;
} CreateArgs;

typedef struct {
  CreateKind kind;
  SessionTokenVersion version;
  const SolPubkey *program_id;
  SbfAccount *session_token;
  SbfAccount *session_signer;
  SbfAccount *payer; /* the authority itself for CREATE_V1 */
  SbfAccount *authority;
  SbfAccount *target_program;
  SbfAccount *system_program;
} CreateContext;

/* (top_up: Option<bool>, valid_until: Option<i64>, lamports: Option<u64>) */
static SBF_NOINLINE u64 create_parse_args(const SbfInput *in, CreateArgs *args) {
  BorshReader r;
  anchor_args(&r, in);
  if (!borsh_option_bool(&r, &args->has_top_up, &args->top_up) ||
      !borsh_option_u64(&r, &args->has_valid_until, &args->valid_until) ||
      !borsh_option_u64(&r, &args->has_lamports, &args->lamports)) {
    return anchor_error(ANCHOR_INSTRUCTION_DID_NOT_DESERIALIZE, NULL);
  }
  return SUCCESS;
}

/*
 * try_accounts for the three create structs. Field types, in order:
 *   session_token   init (taken as is)
 *   session_signer  Signer
 *   authority       Signer                      (V1)
 *   payer|fee_payer Signer, authority Signer    (with_payer, V2)
 *   target_program  AccountInfo
 *   system_program  Program<System>
 */
static SBF_NOINLINE u64 create_take_accounts(const SbfInput *in, CreateContext *ctx) {
  AnchorAccounts c;
  u64 err;
  anchor_accounts_begin(&c, in);
  if ((err = anchor_take(&c, NULL, &ctx->session_token)) != SUCCESS ||
      (err = anchor_take_signer(&c, "session_signer", &ctx->session_signer)) != SUCCESS) {
    return err;
  }
  if (ctx->kind == CREATE_V1) {
    if ((err = anchor_take_signer(&c, "authority", &ctx->authority)) != SUCCESS) {
      return err;
    }
    ctx->payer = ctx->authority;
  } else {
    const char *payer_name = ctx->kind == CREATE_V2 ? "fee_payer" : "payer";
    if ((err = anchor_take_signer(&c, payer_name, &ctx->payer)) != SUCCESS ||
        (err = anchor_take_signer(&c, "authority", &ctx->authority)) != SUCCESS) {
      return err;
    }
  }
  if ((err = anchor_take(&c, "target_program", &ctx->target_program)) != SUCCESS ||
      (err = anchor_take_system_program(&c, "system_program", &ctx->system_program)) !=
          SUCCESS) {
    return err;
  }
  return SUCCESS;
}

/*
 * #[account(init, seeds = [prefix, target_program, session_signer,
 * authority], bump, payer, space)]: the passed address must be the canonical
 * PDA (2006), then the System program creates it for this program, paid by
 * the payer and signed with the PDA seeds. An address already in use makes
 * the System program fail (AccountAlreadyInUse, Custom(0)).
 */
static SBF_NOINLINE u64 create_init_token(CreateContext *ctx) {
  SessionTokenSeeds s;
  session_token_seeds(&s, ctx->version, &ctx->target_program->key,
                      &ctx->session_signer->key, &ctx->authority->key);
  AnchorSeeds seeds = {s.seeds, 4, ctx->program_id, &s.bump};
  u64 err = anchor_constraint_seeds(&seeds, ctx->session_token, "session_token");
  if (err != SUCCESS) {
    return err;
  }
  SolSignerSeeds signer = {s.seeds, 5};
  AnchorInit init = {
      ctx->session_token, ctx->payer, ctx->program_id,
      ctx->version == SESSION_TOKEN_V1 ? SESSION_TOKEN_V1_LEN : SESSION_TOKEN_V2_LEN,
      &signer,
  };
  return anchor_init_pda(&init);
}

/* Constraints of the non-init fields, in struct order. */
static u64 create_check_constraints(const CreateContext *ctx) {
  u64 err;
  const char *payer_name = ctx->kind == CREATE_V1   ? "authority"
                           : ctx->kind == CREATE_V2 ? "fee_payer"
                                                    : "payer";
  if ((err = anchor_constraint_mut(ctx->session_signer, "session_signer")) != SUCCESS ||
      (err = anchor_constraint_mut(ctx->payer, payer_name)) != SUCCESS) {
    return err;
  }
  /* #[account(executable)] target_program: tokens are only for programs. */
  return anchor_constraint_executable(ctx->target_program, "target_program");
}

static void create_write_token(const CreateContext *ctx, i64 valid_until) {
  u8 *d = ctx->session_token->data;
  SolPubkey *authority = (SolPubkey *)(d + SESSION_TOKEN_AUTHORITY);
  SolPubkey *target = (SolPubkey *)(d + SESSION_TOKEN_TARGET_PROGRAM);
  SolPubkey *signer = (SolPubkey *)(d + SESSION_TOKEN_SESSION_SIGNER);
  *authority = ctx->authority->key;
  *target = ctx->target_program->key;
  *signer = ctx->session_signer->key;
  if (ctx->version == SESSION_TOKEN_V1) {
    *(u64 *)d = SESSION_TOKEN_V1_DISCRIMINATOR;
    *(i64 *)(d + SESSION_TOKEN_V1_VALID_UNTIL) = valid_until;
  } else {
    *(u64 *)d = SESSION_TOKEN_V2_DISCRIMINATOR;
    *(SolPubkey *)(d + SESSION_TOKEN_V2_FEE_PAYER) = ctx->payer->key;
    *(i64 *)(d + SESSION_TOKEN_V2_VALID_UNTIL) = valid_until;
  }
}

/*
 * The handler: valid_until defaults to now + 1 h and may be at most now +
 * 7 days (6000; a time in the past is accepted). With top_up the payer sends
 * the session signer `lamports`, default 0.01 SOL; without it `lamports` is
 * ignored.
 */
static SBF_NOINLINE u64 create_run(const CreateContext *ctx, const CreateArgs *args) {
  SolClock clock;
  u64 err = sol_get_clock_sysvar(&clock);
  if (err != SUCCESS) {
    return err;
  }
  i64 valid_until = args->has_valid_until
                        ? (i64)args->valid_until
                        : clock.unix_timestamp + SESSION_DEFAULT_VALIDITY_SECONDS;
  if (!(valid_until <= clock.unix_timestamp + SESSION_MAX_VALIDITY_SECONDS)) {
    return anchor_error(SESSION_ERROR_VALIDITY_TOO_LONG, NULL);
  }
  create_write_token(ctx, valid_until);
  if (args->has_top_up && args->top_up) {
#ifdef SESSION_LEGACY_V1
    u64 amount = SESSION_DEFAULT_TOP_UP_LAMPORTS; /* builds before 2025 knew no amount */
#else
    u64 amount = args->has_lamports ? args->lamports : SESSION_DEFAULT_TOP_UP_LAMPORTS;
#endif
    return sbf_system_transfer(ctx->payer, ctx->session_signer, amount, NULL);
  }
  return SUCCESS;
}

static SBF_NOINLINE u64 create_session(const SbfInput *in, CreateKind kind) {
  CreateArgs args;
  CreateContext ctx;
  u64 err;
  ctx.kind = kind;
  ctx.version = kind == CREATE_V2 ? SESSION_TOKEN_V2 : SESSION_TOKEN_V1;
  ctx.program_id = &in->program_id;
  if ((err = create_parse_args(in, &args)) != SUCCESS ||
      (err = create_take_accounts(in, &ctx)) != SUCCESS ||
      (err = create_init_token(&ctx)) != SUCCESS ||
      (err = create_check_constraints(&ctx)) != SUCCESS) {
    return err;
  }
  return create_run(&ctx, &args);
}

/* ------------------------------------------------------------------------
 * revoke_session, revoke_session_v2
 * ------------------------------------------------------------------------ */

typedef struct {
  SessionTokenVersion version;
  const SolPubkey *program_id;
  SbfAccount *session_token;
  SbfAccount *fee_payer; /* V2 only */
  SbfAccount *authority;
  SbfAccount *system_program;
} RevokeContext;

/*
 * try_accounts: session_token Account<SessionToken(V2)> (owned by this
 * program, right discriminator, whole token), then the lamport recipient(s)
 * as SystemAccount, then Program<System>.
 */
static SBF_NOINLINE u64 revoke_take_accounts(const SbfInput *in, RevokeContext *ctx) {
  AnchorAccounts c;
  AnchorAccountType type;
  u64 err;
  anchor_accounts_begin(&c, in);
  type.owner = ctx->program_id;
  if (ctx->version == SESSION_TOKEN_V1) {
    type.discriminator = SESSION_TOKEN_V1_DISCRIMINATOR;
    type.size = SESSION_TOKEN_V1_LEN;
  } else {
    type.discriminator = SESSION_TOKEN_V2_DISCRIMINATOR;
    type.size = SESSION_TOKEN_V2_LEN;
  }
  err = anchor_take_account(&c, "session_token", &type, &ctx->session_token);
  if (err != SUCCESS) {
    return err;
  }
  if (ctx->version == SESSION_TOKEN_V2 &&
      (err = anchor_take_system_account(&c, "fee_payer", &ctx->fee_payer)) != SUCCESS) {
    return err;
  }
  if ((err = anchor_take_system_account(&c, "authority", &ctx->authority)) != SUCCESS ||
      (err = anchor_take_system_program(&c, "system_program", &ctx->system_program)) !=
          SUCCESS) {
    return err;
  }
  return SUCCESS;
}

/*
 * session_token: seeds re-derived from the token's own fields (2006), mut
 * (2000), has_one = fee_payer (V2) and has_one = authority (2001); then the
 * lamport recipient must be mut. Anchor's close constraint (token !=
 * recipient) is implied: the recipient is System-owned, the token is not.
 */
static SBF_NOINLINE u64 revoke_check_constraints(const RevokeContext *ctx) {
  SessionTokenSeeds s;
  const SbfAccount *token = ctx->session_token;
  u64 err;
  session_token_seeds(&s, ctx->version, session_token_target_program(token),
                      session_token_session_signer(token), session_token_authority(token));
  AnchorSeeds seeds = {s.seeds, 4, ctx->program_id, &s.bump};
  if ((err = anchor_constraint_seeds(&seeds, token, "session_token")) != SUCCESS ||
      (err = anchor_constraint_mut(token, "session_token")) != SUCCESS) {
    return err;
  }
  if (ctx->version == SESSION_TOKEN_V2) {
    if ((err = anchor_constraint_has_one(session_token_fee_payer(token), ctx->fee_payer,
                                         "session_token")) != SUCCESS ||
        (err = anchor_constraint_has_one(session_token_authority(token), ctx->authority,
                                         "session_token")) != SUCCESS) {
      return err;
    }
    return anchor_constraint_mut(ctx->fee_payer, "fee_payer");
  }
  if ((err = anchor_constraint_has_one(session_token_authority(token), ctx->authority,
                                       "session_token")) != SUCCESS) {
    return err;
  }
  return anchor_constraint_mut(ctx->authority, "authority");
}

/*
 * revoke_session_v2's handler: while the token is active (not
 * now >= valid_until) only the authority may revoke it (6003).
 */
static SBF_NOINLINE u64 revoke_v2_check_authority(const RevokeContext *ctx) {
  SolClock clock;
  u64 err = sol_get_clock_sysvar(&clock);
  if (err != SUCCESS) {
    return err;
  }
  bool expired = clock.unix_timestamp >= session_token_valid_until(ctx->session_token,
                                                                   SESSION_TOKEN_V2);
  if (!expired && !ctx->authority->is_signer) {
    return anchor_error(SESSION_ERROR_INVALID_AUTHORITY, NULL);
  }
  return SUCCESS;
}

static SBF_NOINLINE u64 revoke_session(const SbfInput *in, SessionTokenVersion version) {
  RevokeContext ctx;
  u64 err;
  ctx.version = version;
  ctx.program_id = &in->program_id;
  ctx.fee_payer = NULL;
  if ((err = revoke_take_accounts(in, &ctx)) != SUCCESS ||
      (err = revoke_check_constraints(&ctx)) != SUCCESS) {
    return err;
  }
  if (version == SESSION_TOKEN_V2) {
    if ((err = revoke_v2_check_authority(&ctx)) != SUCCESS) {
      return err;
    }
    anchor_close(ctx.session_token, ctx.fee_payer);
    return SUCCESS;
  }
  /* V1: anyone may revoke; the rent always goes back to the authority. */
  anchor_close(ctx.session_token, ctx.authority);
  return SUCCESS;
}

/* ------------------------------------------------------------------------
 * Entrypoint and dispatch
 * ------------------------------------------------------------------------ */

static SBF_NOINLINE u64 dispatch(const SbfInput *in) {
  if (in->data_len < ANCHOR_DISCRIMINATOR_LEN) {
    return anchor_fallback(in);
  }
  /* Instruction data follows an 8-byte length in the input, so it is 8-aligned. */
  switch (*(const u64 *)in->data) {
  case IX_CREATE_SESSION:
    anchor_log_instruction("CreateSession");
    return create_session(in, CREATE_V1);
#ifndef SESSION_LEGACY_V1 /* a stand-in for the 2023 builds: V1 create and revoke only */
  case IX_CREATE_SESSION_WITH_PAYER:
    anchor_log_instruction("CreateSessionWithPayer");
    return create_session(in, CREATE_WITH_PAYER);
  case IX_CREATE_SESSION_V2:
    anchor_log_instruction("CreateSessionV2");
    return create_session(in, CREATE_V2);
#endif
  case IX_REVOKE_SESSION:
    anchor_log_instruction("RevokeSession");
    return revoke_session(in, SESSION_TOKEN_V1);
#ifndef SESSION_LEGACY_V1
  case IX_REVOKE_SESSION_V2:
    anchor_log_instruction("RevokeSessionV2");
    return revoke_session(in, SESSION_TOKEN_V2);
#endif
  default:
    return anchor_fallback(in);
  }
}

u64 entrypoint(u8 *input) {
  SbfInput in;
  sbf_deserialize(input, &in);
  return dispatch(&in);
}
