/*
 * anchor.h: the parts of Anchor's generated program skeleton a client can
 * observe, reproduced in C so our programs are wire-compatible with Anchor
 * programs: 8-byte sighash dispatch, borsh argument decoding, account
 * validation in struct order with Anchor's framework error codes, PDA `init`
 * through the System program, and `close`.
 *
 * The behaviour is Anchor 0.32's, the version upstream gpl_session 3.0.11
 * is built with. Dispatch matches the data's 8-byte prefix against each
 * instruction's discriminator (shorter data matches nothing: 101). Then
 * Anchor validates an instruction in three passes, and the order decides
 * which error a client sees when several things are wrong at once:
 *   1. the handler logs "Instruction: <Name>" and decodes the arguments (102);
 *   2. try_accounts takes the accounts in struct order, checking what each
 *      field's type implies (Signer 3010, Program 3008, SystemAccount 3011,
 *      Account<T> 3012/3007/3001/3002/3003, missing 3005);
 *   3. the constraints run: first every `init` field (seeds 2006, then the
 *      System CPI), then the other fields in order, each as
 *      seeds (2006), mut (2000), has_one (2001), executable (2007).
 * The programs call the helpers below in exactly that order.
 *
 * Errors are returned as Custom(code) and logged the way AnchorError::log
 * does, so explorers and log-based tooling read them the same.
 */
#ifndef SESSIONKIT_ANCHOR_H
#define SESSIONKIT_ANCHOR_H

#include "../include/sbf.h"

/* anchor_lang::error::ErrorCode values used by our programs. */
#define ANCHOR_INSTRUCTION_FALLBACK_NOT_FOUND 101
#define ANCHOR_INSTRUCTION_DID_NOT_DESERIALIZE 102
#define ANCHOR_EVENT_INSTRUCTION_STUB 1500
#define ANCHOR_CONSTRAINT_MUT 2000
#define ANCHOR_CONSTRAINT_HAS_ONE 2001
#define ANCHOR_CONSTRAINT_SEEDS 2006
#define ANCHOR_CONSTRAINT_EXECUTABLE 2007
#define ANCHOR_ACCOUNT_DISCRIMINATOR_NOT_FOUND 3001
#define ANCHOR_ACCOUNT_DISCRIMINATOR_MISMATCH 3002
#define ANCHOR_ACCOUNT_DID_NOT_DESERIALIZE 3003
#define ANCHOR_ACCOUNT_NOT_ENOUGH_KEYS 3005
#define ANCHOR_ACCOUNT_OWNED_BY_WRONG_PROGRAM 3007
#define ANCHOR_INVALID_PROGRAM_ID 3008
#define ANCHOR_INVALID_PROGRAM_EXECUTABLE 3009
#define ANCHOR_ACCOUNT_NOT_SIGNER 3010
#define ANCHOR_ACCOUNT_NOT_SYSTEM_OWNED 3011
#define ANCHOR_ACCOUNT_NOT_INITIALIZED 3012

#define ANCHOR_DISCRIMINATOR_LEN 8

typedef struct {
  const char *name;
  u64 name_len;
  const char *message;
  u64 message_len;
} AnchorErrorText;

/* Sets an AnchorErrorText from two string literals. */
#define ANCHOR_ERROR_TEXT(out, error_name, error_message) \
  do {                                                    \
    (out)->name = (error_name);                           \
    (out)->name_len = sizeof(error_name) - 1;             \
    (out)->message = (error_message);                     \
    (out)->message_len = sizeof(error_message) - 1;       \
  } while (0)

/*
 * Each program defines the names and messages of its own #[error_code]
 * enum (6000 and up); anchor_error_text falls back to it for codes that are
 * not Anchor's.
 */
static void anchor_program_error_text(u32 code, AnchorErrorText *out);

SBF_HELPER void anchor_error_text(u32 code, AnchorErrorText *out) {
  switch (code) {
  case ANCHOR_INSTRUCTION_FALLBACK_NOT_FOUND:
    ANCHOR_ERROR_TEXT(out, "InstructionFallbackNotFound",
                      "Fallback functions are not supported");
    break;
  case ANCHOR_INSTRUCTION_DID_NOT_DESERIALIZE:
    ANCHOR_ERROR_TEXT(out, "InstructionDidNotDeserialize",
                      "The program could not deserialize the given instruction");
    break;
  case ANCHOR_EVENT_INSTRUCTION_STUB:
    ANCHOR_ERROR_TEXT(out, "EventInstructionStub",
                      "The program was compiled without `event-cpi` feature");
    break;
  case ANCHOR_CONSTRAINT_MUT:
    ANCHOR_ERROR_TEXT(out, "ConstraintMut", "A mut constraint was violated");
    break;
  case ANCHOR_CONSTRAINT_HAS_ONE:
    ANCHOR_ERROR_TEXT(out, "ConstraintHasOne", "A has one constraint was violated");
    break;
  case ANCHOR_CONSTRAINT_SEEDS:
    ANCHOR_ERROR_TEXT(out, "ConstraintSeeds", "A seeds constraint was violated");
    break;
  case ANCHOR_CONSTRAINT_EXECUTABLE:
    ANCHOR_ERROR_TEXT(out, "ConstraintExecutable", "An executable constraint was violated");
    break;
  case ANCHOR_ACCOUNT_DISCRIMINATOR_NOT_FOUND:
    ANCHOR_ERROR_TEXT(out, "AccountDiscriminatorNotFound",
                      "No discriminator was found on the account");
    break;
  case ANCHOR_ACCOUNT_DISCRIMINATOR_MISMATCH:
    ANCHOR_ERROR_TEXT(out, "AccountDiscriminatorMismatch",
                      "Account discriminator did not match what was expected");
    break;
  case ANCHOR_ACCOUNT_DID_NOT_DESERIALIZE:
    ANCHOR_ERROR_TEXT(out, "AccountDidNotDeserialize", "Failed to deserialize the account");
    break;
  case ANCHOR_ACCOUNT_NOT_ENOUGH_KEYS:
    ANCHOR_ERROR_TEXT(out, "AccountNotEnoughKeys",
                      "Not enough account keys given to the instruction");
    break;
  case ANCHOR_ACCOUNT_OWNED_BY_WRONG_PROGRAM:
    ANCHOR_ERROR_TEXT(out, "AccountOwnedByWrongProgram",
                      "The given account is owned by a different program than expected");
    break;
  case ANCHOR_INVALID_PROGRAM_ID:
    ANCHOR_ERROR_TEXT(out, "InvalidProgramId", "Program ID was not as expected");
    break;
  case ANCHOR_INVALID_PROGRAM_EXECUTABLE:
    ANCHOR_ERROR_TEXT(out, "InvalidProgramExecutable", "Program account is not executable");
    break;
  case ANCHOR_ACCOUNT_NOT_SIGNER:
    ANCHOR_ERROR_TEXT(out, "AccountNotSigner", "The given account did not sign");
    break;
  case ANCHOR_ACCOUNT_NOT_SYSTEM_OWNED:
    ANCHOR_ERROR_TEXT(out, "AccountNotSystemOwned",
                      "The given account is not owned by the system program");
    break;
  case ANCHOR_ACCOUNT_NOT_INITIALIZED:
    ANCHOR_ERROR_TEXT(out, "AccountNotInitialized",
                      "The program expected this account to be already initialized");
    break;
  default:
    anchor_program_error_text(code, out);
    break;
  }
}

/*
 * Logs the error as AnchorError::log does and returns it as Custom(code).
 * account names the Accounts field at fault (NULL when none); left/right
 * are the compared keys Anchor attaches to seeds/has_one/owner failures.
 */
SBF_HELPER SBF_NOINLINE u64 anchor_error_keys(u32 code, const char *account,
                                              const SolPubkey *left,
                                              const SolPubkey *right) {
  AnchorErrorText text;
  SbfLogLine line;
  anchor_error_text(code, &text);
  line.len = 0;
  if (account != NULL) {
    sbf_log_append_literal(&line, "AnchorError caused by account: ");
    sbf_log_append_cstr(&line, account);
    sbf_log_append_literal(&line, ". Error Code: ");
  } else {
    sbf_log_append_literal(&line, "AnchorError occurred. Error Code: ");
  }
  sbf_log_append(&line, text.name, text.name_len);
  sbf_log_append_literal(&line, ". Error Number: ");
  sbf_log_append_u64(&line, code);
  sbf_log_append_literal(&line, ". Error Message: ");
  sbf_log_append(&line, text.message, text.message_len);
  sbf_log_append_literal(&line, ".");
  sbf_log_line(&line);
  if (left != NULL && right != NULL) {
    sbf_log("Left:");
    sol_log_pubkey(left);
    sbf_log("Right:");
    sol_log_pubkey(right);
  }
  return sbf_custom_error(code);
}

static inline u64 anchor_error(u32 code, const char *account) {
  return anchor_error_keys(code, account, NULL, NULL);
}

/* ------------------------------------------------------------------------
 * Instruction arguments (borsh)
 *
 * Anchor decodes with BorshDeserialize::deserialize, which rejects short
 * input, Option tags other than 0/1 and bools other than 0/1, and ignores
 * trailing bytes. Any failure is InstructionDidNotDeserialize (102).
 * ------------------------------------------------------------------------ */
typedef struct {
  const u8 *p;
  u64 left;
} BorshReader;

/* The instruction's arguments: everything after the 8-byte discriminator. */
static inline void anchor_args(BorshReader *r, const SbfInput *in) {
  r->p = in->data + ANCHOR_DISCRIMINATOR_LEN;
  r->left = in->data_len - ANCHOR_DISCRIMINATOR_LEN;
}

static inline bool borsh_u8(BorshReader *r, u8 *out) {
  if (r->left < 1) {
    return false;
  }
  *out = r->p[0];
  r->p++;
  r->left--;
  return true;
}

static inline bool borsh_u64(BorshReader *r, u64 *out) {
  if (r->left < 8) {
    return false;
  }
  *out = sbf_read_u64_le(r->p);
  r->p += 8;
  r->left -= 8;
  return true;
}

static inline bool borsh_bool(BorshReader *r, bool *out) {
  u8 b;
  if (!borsh_u8(r, &b) || b > 1) {
    return false;
  }
  *out = b == 1;
  return true;
}

/* Option<T>: a 0/1 tag, then T when the tag is 1. */
static inline bool borsh_option_tag(BorshReader *r, bool *present) {
  return borsh_bool(r, present);
}

SBF_HELPER bool borsh_option_bool(BorshReader *r, bool *present, bool *value) {
  if (!borsh_option_tag(r, present)) {
    return false;
  }
  return !*present || borsh_bool(r, value);
}

SBF_HELPER bool borsh_option_u64(BorshReader *r, bool *present, u64 *value) {
  if (!borsh_option_tag(r, present)) {
    return false;
  }
  return !*present || borsh_u64(r, value);
}

/* ------------------------------------------------------------------------
 * try_accounts: taking accounts in struct order
 * ------------------------------------------------------------------------ */
typedef struct {
  const SbfInput *in;
  u64 next;
} AnchorAccounts;

static inline void anchor_accounts_begin(AnchorAccounts *c, const SbfInput *in) {
  c->in = in;
  c->next = 0;
}

/* AccountInfo / UncheckedAccount, and `init` fields (which Anchor takes
 * without an account name in the error). */
SBF_HELPER u64 anchor_take(AnchorAccounts *c, const char *name, SbfAccount **out) {
  SbfAccount *a = sbf_account(c->in, c->next);
  if (a == NULL) {
    return anchor_error(ANCHOR_ACCOUNT_NOT_ENOUGH_KEYS, name);
  }
  c->next++;
  *out = a;
  return SUCCESS;
}

/* Signer<'info> */
SBF_HELPER u64 anchor_take_signer(AnchorAccounts *c, const char *name, SbfAccount **out) {
  u64 err = anchor_take(c, name, out);
  if (err != SUCCESS) {
    return err;
  }
  if (!(*out)->is_signer) {
    return anchor_error(ANCHOR_ACCOUNT_NOT_SIGNER, name);
  }
  return SUCCESS;
}

/* SystemAccount<'info> */
SBF_HELPER u64 anchor_take_system_account(AnchorAccounts *c, const char *name,
                                          SbfAccount **out) {
  u64 err = anchor_take(c, name, out);
  if (err != SUCCESS) {
    return err;
  }
  if (!sbf_pubkey_is_zero(&(*out)->owner)) {
    return anchor_error(ANCHOR_ACCOUNT_NOT_SYSTEM_OWNED, name);
  }
  return SUCCESS;
}

/* Program<'info, System> */
SBF_HELPER u64 anchor_take_system_program(AnchorAccounts *c, const char *name,
                                          SbfAccount **out) {
  SolPubkey system_id;
  u64 err = anchor_take(c, name, out);
  if (err != SUCCESS) {
    return err;
  }
  sbf_system_program_id(&system_id);
  if (!sbf_pubkey_eq(&(*out)->key, &system_id)) {
    return anchor_error_keys(ANCHOR_INVALID_PROGRAM_ID, name, &(*out)->key, &system_id);
  }
  if (!(*out)->executable) {
    return anchor_error(ANCHOR_INVALID_PROGRAM_EXECUTABLE, name);
  }
  return SUCCESS;
}

/* What Account<'info, T> requires of T. */
typedef struct {
  const SolPubkey *owner; /* T::owner(), the declaring program */
  u64 discriminator;      /* sha256("account:<T>")[..8] as a LE u64 */
  u64 size;               /* 8 + borsh size; shorter data fails to deserialize */
} AnchorAccountType;

/*
 * Account::try_from: an uninitialized (System-owned, empty) account is 3012,
 * a foreign owner 3007, then T::try_deserialize checks the discriminator
 * (3001 too short for one, 3002 wrong) and decodes the fields (3003).
 */
SBF_HELPER SBF_NOINLINE u64 anchor_check_account(SbfAccount *a, const char *name,
                                                 const AnchorAccountType *type) {
  if (sbf_pubkey_is_zero(&a->owner) && a->lamports == 0) {
    return anchor_error(ANCHOR_ACCOUNT_NOT_INITIALIZED, name);
  }
  if (!sbf_pubkey_eq(&a->owner, type->owner)) {
    return anchor_error_keys(ANCHOR_ACCOUNT_OWNED_BY_WRONG_PROGRAM, name, &a->owner,
                             type->owner);
  }
  if (a->data_len < ANCHOR_DISCRIMINATOR_LEN) {
    return anchor_error(ANCHOR_ACCOUNT_DISCRIMINATOR_NOT_FOUND, name);
  }
  if (*(const u64 *)a->data != type->discriminator) {
    return anchor_error(ANCHOR_ACCOUNT_DISCRIMINATOR_MISMATCH, name);
  }
  if (a->data_len < type->size) {
    return anchor_error(ANCHOR_ACCOUNT_DID_NOT_DESERIALIZE, name);
  }
  return SUCCESS;
}

/* Account<'info, T> */
SBF_HELPER u64 anchor_take_account(AnchorAccounts *c, const char *name,
                                   const AnchorAccountType *type, SbfAccount **out) {
  u64 err = anchor_take(c, name, out);
  if (err != SUCCESS) {
    return err;
  }
  return anchor_check_account(*out, name, type);
}

/* ------------------------------------------------------------------------
 * Constraints
 * ------------------------------------------------------------------------ */

/* #[account(mut)] */
static inline u64 anchor_constraint_mut(const SbfAccount *a, const char *name) {
  return a->is_writable ? SUCCESS : anchor_error(ANCHOR_CONSTRAINT_MUT, name);
}

/* #[account(executable)] */
static inline u64 anchor_constraint_executable(const SbfAccount *a, const char *name) {
  return a->executable ? SUCCESS : anchor_error(ANCHOR_CONSTRAINT_EXECUTABLE, name);
}

/* #[account(has_one = target)]: the stored key must equal the target's. */
SBF_HELPER u64 anchor_constraint_has_one(const SolPubkey *stored, const SbfAccount *target,
                                         const char *name) {
  if (!sbf_pubkey_eq(stored, &target->key)) {
    return anchor_error_keys(ANCHOR_CONSTRAINT_HAS_ONE, name, stored, &target->key);
  }
  return SUCCESS;
}

/*
 * #[account(seeds = [...], bump)]: find_program_address over the seeds (the
 * canonical bump) and require the passed account to be that address. seeds
 * must have room for one more entry, which receives the bump so the caller
 * can sign with seeds[0..n+1].
 */
typedef struct {
  SolSignerSeed *seeds; /* n entries, then one free slot for the bump */
  u64 n;
  const SolPubkey *program_id;
  u8 *bump; /* out */
} AnchorSeeds;

SBF_HELPER SBF_NOINLINE u64 anchor_constraint_seeds(const AnchorSeeds *s, const SbfAccount *a,
                                                    const char *name) {
  SolPubkey pda;
  if (sol_try_find_program_address(s->seeds, s->n, s->program_id, &pda, s->bump) != SUCCESS) {
    return ERROR_INVALID_SEEDS;
  }
  s->seeds[s->n].addr = s->bump;
  s->seeds[s->n].len = 1;
  if (!sbf_pubkey_eq(&a->key, &pda)) {
    return anchor_error_keys(ANCHOR_CONSTRAINT_SEEDS, name, &a->key, &pda);
  }
  return SUCCESS;
}

/*
 * #[account(init, seeds, bump, payer, space)] after the seeds check: the PDA
 * is created through the System program, signed with its seeds. Like
 * Anchor, an address that already holds lamports (someone sent SOL to it) is
 * topped up to the rent-exempt minimum, allocated and assigned instead,
 * since create_account refuses funded addresses.
 */
typedef struct {
  SbfAccount *account;
  SbfAccount *payer;
  const SolPubkey *owner;
  u64 space;
  const SolSignerSeeds *signer; /* the PDA's seeds with bump */
} AnchorInit;

SBF_HELPER SBF_NOINLINE u64 anchor_init_pda(const AnchorInit *init) {
  SolRent rent;
  u64 minimum;
  u64 err = sol_get_rent_sysvar(&rent);
  if (err != SUCCESS) {
    return err;
  }
  if (!sbf_rent_minimum_balance(&rent, init->space, &minimum)) {
    return ERROR_INVALID_ARGUMENT;
  }
  u64 current = init->account->lamports;
  if (current == 0) {
    SbfCreateAccount create = {init->payer, init->account, minimum,
                               init->space, init->owner, init->signer};
    return sbf_system_create_account(&create);
  }
  /* Anchor's require_keys_neq!(payer, account) cannot fail here: the payer
   * signed the transaction and a PDA cannot. */
  if (minimum < 1) {
    minimum = 1;
  }
  if (minimum > current) {
    err = sbf_system_transfer(init->payer, init->account, minimum - current, NULL);
    if (err != SUCCESS) {
      return err;
    }
  }
  err = sbf_system_allocate(init->account, init->space, init->signer);
  if (err != SUCCESS) {
    return err;
  }
  return sbf_system_assign(init->account, init->owner, init->signer);
}

/*
 * #[account(close = destination)] at exit (anchor_lang::common::close): all
 * lamports move to the destination, the account is handed back to the
 * System program and its data shrinks to zero, so the address can be
 * created again later.
 */
static inline void anchor_close(SbfAccount *account, SbfAccount *destination) {
  destination->lamports += account->lamports;
  account->lamports = 0;
  sbf_system_program_id(&account->owner);
  account->data_len = 0;
}

/* Anchor's EVENT_IX_TAG (sha256("anchor:event")[..8] read big-endian), which
 * prefixes instruction data little-endian: Anchor reserves it for event CPI
 * and answers EventInstructionStub when that feature is off. */
#define ANCHOR_EVENT_IX_TAG 0x1d9acb512ea545e4ULL

/*
 * The end of Anchor's dispatch, for data that matched no instruction: the
 * event tag is refused with 1500, anything else (including data shorter
 * than a discriminator) with InstructionFallbackNotFound.
 */
static inline u64 anchor_fallback(const SbfInput *in) {
  if (in->data_len >= ANCHOR_DISCRIMINATOR_LEN &&
      *(const u64 *)in->data == ANCHOR_EVENT_IX_TAG) {
    return anchor_error(ANCHOR_EVENT_INSTRUCTION_STUB, NULL);
  }
  return anchor_error(ANCHOR_INSTRUCTION_FALLBACK_NOT_FOUND, NULL);
}

/* The handler's first log line, "Instruction: <CamelCaseName>". */
#define anchor_log_instruction(name) sbf_log("Instruction: " name)

#endif /* SESSIONKIT_ANCHOR_H */
