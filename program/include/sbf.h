/*
 * sbf.h: a minimal freestanding C SDK for Solana SBF programs.
 *
 * Built for stock clang (`clang -target bpf -mcpu=v2 -O2 -fno-builtin
 * -ffreestanding`) linked by internal/sbfld/cmd/sbfld. It hand-encodes the parts of
 * the Agave ABI our programs use: the entrypoint input buffer (loaders v2/v3,
 * aligned layout), the C CPI structs, the syscalls, logging and return codes.
 * Nothing here type-checks against Agave, so every layout carries a static
 * assertion and the integration tests check account contents end to end.
 *
 * Constraints of the target that shape this header:
 *   - clang allows 512 bytes of stack per function: large work is split into
 *     noinline functions, and accounts are referenced by pointer into the
 *     input buffer instead of being copied.
 *   - at most 5 arguments per call, no by-value structs, no floating point,
 *     no signed division, no writable globals.
 *   - syscalls check pointer alignment against the Rust type they translate
 *     to (8 for Clock/Rent/AccountInfo, 1 for Pubkey and byte slices).
 */
#ifndef SESSIONKIT_SBF_H
#define SESSIONKIT_SBF_H

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef _Bool bool;

#define true 1
#define false 0
#define NULL ((void *)0)
#define U64_MAX 0xffffffffffffffffULL

#define SBF_NOINLINE __attribute__((noinline))
/* Helpers live in headers and each program uses a subset of them. */
#define SBF_HELPER static __attribute__((unused))
#define SBF_OFFSETOF(type, field) __builtin_offsetof(type, field)

/* ------------------------------------------------------------------------
 * Return codes
 *
 * The entrypoint returns a u64: 0 is success, a value below 2^32 is
 * ProgramError::Custom(n), and builtin errors are (index << 32). Custom(0)
 * cannot be expressed as 0, so it has its own builtin slot.
 * ------------------------------------------------------------------------ */
#define SUCCESS 0ULL
#define SBF_BUILTIN_ERROR(n) ((u64)(n) << 32)
#define ERROR_CUSTOM_ZERO SBF_BUILTIN_ERROR(1)
#define ERROR_INVALID_ARGUMENT SBF_BUILTIN_ERROR(2)
#define ERROR_INVALID_INSTRUCTION_DATA SBF_BUILTIN_ERROR(3)
#define ERROR_INVALID_ACCOUNT_DATA SBF_BUILTIN_ERROR(4)
#define ERROR_ACCOUNT_DATA_TOO_SMALL SBF_BUILTIN_ERROR(5)
#define ERROR_INSUFFICIENT_FUNDS SBF_BUILTIN_ERROR(6)
#define ERROR_INCORRECT_PROGRAM_ID SBF_BUILTIN_ERROR(7)
#define ERROR_MISSING_REQUIRED_SIGNATURES SBF_BUILTIN_ERROR(8)
#define ERROR_ACCOUNT_ALREADY_INITIALIZED SBF_BUILTIN_ERROR(9)
#define ERROR_UNINITIALIZED_ACCOUNT SBF_BUILTIN_ERROR(10)
#define ERROR_NOT_ENOUGH_ACCOUNT_KEYS SBF_BUILTIN_ERROR(11)
#define ERROR_ACCOUNT_BORROW_FAILED SBF_BUILTIN_ERROR(12)
#define ERROR_MAX_SEED_LENGTH_EXCEEDED SBF_BUILTIN_ERROR(13)
#define ERROR_INVALID_SEEDS SBF_BUILTIN_ERROR(14)
#define ERROR_ARITHMETIC_OVERFLOW SBF_BUILTIN_ERROR(26)

/* Custom(code) as an entrypoint return value. */
static inline u64 sbf_custom_error(u32 code) {
  return code == 0 ? ERROR_CUSTOM_ZERO : (u64)code;
}

/* ------------------------------------------------------------------------
 * Public keys
 *
 * The union gives 8-byte alignment so keys compare and copy as four words.
 * Every key the input buffer holds at a fixed record offset is 8-aligned;
 * the program id is not (it follows the instruction data), which is why
 * sbf_deserialize copies it.
 * ------------------------------------------------------------------------ */
typedef union {
  u8 bytes[32];
  u64 words[4];
} SolPubkey;

_Static_assert(sizeof(SolPubkey) == 32, "SolPubkey is 32 bytes");

static inline bool sbf_pubkey_eq(const SolPubkey *a, const SolPubkey *b) {
  return ((a->words[0] ^ b->words[0]) | (a->words[1] ^ b->words[1]) |
          (a->words[2] ^ b->words[2]) | (a->words[3] ^ b->words[3])) == 0;
}

static inline bool sbf_pubkey_is_zero(const SolPubkey *a) {
  return (a->words[0] | a->words[1] | a->words[2] | a->words[3]) == 0;
}

/* The System program id is 32 zero bytes. */
static inline void sbf_system_program_id(SolPubkey *out) {
  out->words[0] = 0;
  out->words[1] = 0;
  out->words[2] = 0;
  out->words[3] = 0;
}

/* ------------------------------------------------------------------------
 * Little-endian access to unaligned bytes (instruction arguments).
 * ------------------------------------------------------------------------ */
static inline u64 sbf_read_u64_le(const u8 *p) {
  return (u64)p[0] | ((u64)p[1] << 8) | ((u64)p[2] << 16) | ((u64)p[3] << 24) |
         ((u64)p[4] << 32) | ((u64)p[5] << 40) | ((u64)p[6] << 48) |
         ((u64)p[7] << 56);
}

static inline void sbf_write_u64_le(u8 *p, u64 v) {
  for (int i = 0; i < 8; i++) {
    p[i] = (u8)(v >> (8 * i));
  }
}

/* ------------------------------------------------------------------------
 * Syscalls
 *
 * Undefined functions become syscalls at link time (sbfld checks the names
 * against its allow-list). Return values of 0 mean success.
 * ------------------------------------------------------------------------ */
typedef struct {
  const u8 *addr;
  u64 len;
} SolSignerSeed;

typedef struct {
  const SolSignerSeed *addr;
  u64 len;
} SolSignerSeeds;

typedef struct {
  SolPubkey *pubkey;
  bool is_writable;
  bool is_signer;
} SolAccountMeta;

typedef struct {
  SolPubkey *program_id;
  SolAccountMeta *accounts;
  u64 account_len;
  u8 *data;
  u64 data_len;
} SolInstruction;

typedef struct {
  SolPubkey *key;
  u64 *lamports;
  u64 data_len;
  u8 *data;
  SolPubkey *owner;
  u64 rent_epoch;
  bool is_signer;
  bool is_writable;
  bool executable;
} SolAccountInfo;

/* Clock sysvar, as sol_get_clock_sysvar writes it. */
typedef struct {
  u64 slot;
  i64 epoch_start_timestamp;
  u64 epoch;
  u64 leader_schedule_epoch;
  i64 unix_timestamp;
} SolClock;

/*
 * Rent sysvar, as sol_get_rent_sysvar writes it (Rust repr(C), 24 bytes).
 * exemption_threshold is an IEEE-754 double kept as raw bits because SBF has
 * no floating point; sbf_rent_minimum_balance interprets it.
 */
typedef struct {
  u64 lamports_per_byte_year;
  u64 exemption_threshold_bits;
  u8 burn_percent;
} SolRent;

_Static_assert(sizeof(SolSignerSeed) == 16, "seed is {addr, len}");
_Static_assert(sizeof(SolSignerSeeds) == 16, "seeds is {addr, len}");
_Static_assert(sizeof(SolAccountMeta) == 16, "SolAccountMeta ABI");
_Static_assert(SBF_OFFSETOF(SolAccountMeta, is_signer) == 9, "SolAccountMeta ABI");
_Static_assert(sizeof(SolInstruction) == 40, "SolInstruction ABI");
_Static_assert(sizeof(SolAccountInfo) == 56, "SolAccountInfo ABI");
_Static_assert(SBF_OFFSETOF(SolAccountInfo, is_signer) == 48, "SolAccountInfo ABI");
_Static_assert(sizeof(SolClock) == 40, "Clock ABI");
_Static_assert(sizeof(SolRent) == 24, "Rent ABI");

extern void sol_log_(const char *message, u64 len);
extern void sol_log_64_(u64 a, u64 b, u64 c, u64 d, u64 e);
extern void sol_log_pubkey(const SolPubkey *key);
extern void sol_log_compute_units_(void);
extern u64 sol_try_find_program_address(const SolSignerSeed *seeds, u64 seeds_len,
                                        const SolPubkey *program_id,
                                        SolPubkey *address, u8 *bump);
extern u64 sol_create_program_address(const SolSignerSeed *seeds, u64 seeds_len,
                                      const SolPubkey *program_id,
                                      SolPubkey *address);
extern u64 sol_invoke_signed_c(const SolInstruction *instruction,
                               const SolAccountInfo *account_infos,
                               u64 account_infos_len,
                               const SolSignerSeeds *signers_seeds,
                               u64 signers_seeds_len);
extern u64 sol_get_clock_sysvar(SolClock *clock);
extern u64 sol_get_rent_sysvar(SolRent *rent);
extern void sol_memcpy_(void *dst, const void *src, u64 n);

/* ------------------------------------------------------------------------
 * Logging
 * ------------------------------------------------------------------------ */

/* Logs a string literal without scanning for its length at run time. */
#define sbf_log(literal) sol_log_((literal), sizeof(literal) - 1)

/*
 * A line assembled piecewise, for messages with names and numbers in them.
 * Appends past the capacity are dropped rather than overflowing.
 */
#define SBF_LOG_LINE_CAP 240

typedef struct {
  u64 len;
  char buf[SBF_LOG_LINE_CAP];
} SbfLogLine;

SBF_HELPER void sbf_log_append(SbfLogLine *line, const char *s, u64 n) {
  u64 room = SBF_LOG_LINE_CAP - line->len;
  if (n > room) {
    n = room;
  }
  /* One syscall (10 CU) instead of a byte loop: error lines are long. */
  if (n > 0) {
    sol_memcpy_(line->buf + line->len, s, n);
  }
  line->len += n;
}

#define sbf_log_append_literal(line, literal) \
  sbf_log_append((line), (literal), sizeof(literal) - 1)

SBF_HELPER void sbf_log_append_cstr(SbfLogLine *line, const char *s) {
  while (*s != 0 && line->len < SBF_LOG_LINE_CAP) {
    line->buf[line->len++] = *s++;
  }
}

SBF_HELPER void sbf_log_append_u64(SbfLogLine *line, u64 v) {
  char digits[20];
  u64 n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && line->len < SBF_LOG_LINE_CAP) {
    line->buf[line->len++] = digits[--n];
  }
}

static inline void sbf_log_line(const SbfLogLine *line) {
  sol_log_(line->buf, line->len);
}

/* ------------------------------------------------------------------------
 * Entrypoint input (BPF loaders v2/v3, aligned serialization)
 *
 *   u64 num_accounts
 *   per account: a non-duplicate record (SbfAccount, then data, then
 *                MAX_PERMITTED_DATA_INCREASE spare bytes, padding to 8, and
 *                u64 rent_epoch) or an 8-byte duplicate marker {index, pad}
 *   u64 instruction_data_len, instruction data
 *   32-byte program id
 * ------------------------------------------------------------------------ */
#define SBF_NON_DUP_MARKER 0xff
#define SBF_MAX_PERMITTED_DATA_INCREASE 10240
/* Accounts past this index are walked over but not addressable. */
#define SBF_MAX_ACCOUNTS 16

/*
 * One account as serialized in the input buffer. Programs read and write it
 * in place: the runtime copies lamports, owner, data_len and data back after
 * the program returns, so writing data_len is how an account is resized and
 * writing owner is how it is reassigned.
 */
typedef struct {
  u8 dup_marker;
  u8 is_signer;
  u8 is_writable;
  u8 executable;
  u8 padding[4];
  SolPubkey key;
  SolPubkey owner;
  u64 lamports;
  u64 data_len;
  u8 data[];
} SbfAccount;

_Static_assert(SBF_OFFSETOF(SbfAccount, key) == 8, "input account layout");
_Static_assert(SBF_OFFSETOF(SbfAccount, owner) == 40, "input account layout");
_Static_assert(SBF_OFFSETOF(SbfAccount, lamports) == 72, "input account layout");
_Static_assert(SBF_OFFSETOF(SbfAccount, data_len) == 80, "input account layout");
_Static_assert(SBF_OFFSETOF(SbfAccount, data) == 88, "input account layout");

typedef struct {
  u64 num_accounts; /* as passed, possibly more than SBF_MAX_ACCOUNTS */
  SbfAccount *accounts[SBF_MAX_ACCOUNTS];
  const u8 *data;
  u64 data_len;
  SolPubkey program_id; /* aligned copy */
} SbfInput;

/* Parses the input buffer. Duplicate accounts point at their first record. */
SBF_HELPER SBF_NOINLINE void sbf_deserialize(u8 *input, SbfInput *out) {
  u64 n = *(const u64 *)input;
  u8 *p = input + sizeof(u64);
  out->num_accounts = n;
  for (u64 i = 0; i < n; i++) {
    SbfAccount *account;
    if (p[0] == SBF_NON_DUP_MARKER) {
      account = (SbfAccount *)p;
      u64 end = (u64)(account->data + account->data_len) + SBF_MAX_PERMITTED_DATA_INCREASE;
      end = (end + 7) & ~7ULL;
      p = (u8 *)(end + sizeof(u64)); /* rent_epoch */
    } else {
      u8 index = p[0];
      account = (index < SBF_MAX_ACCOUNTS) ? out->accounts[index] : NULL;
      p += 8;
    }
    if (i < SBF_MAX_ACCOUNTS) {
      out->accounts[i] = account;
    }
  }
  out->data_len = *(const u64 *)p;
  out->data = p + sizeof(u64);
  sol_memcpy_(&out->program_id, out->data + out->data_len, sizeof(SolPubkey));
}

/* The account at index, or NULL when fewer accounts were passed. */
static inline SbfAccount *sbf_account(const SbfInput *in, u64 index) {
  if (index >= in->num_accounts || index >= SBF_MAX_ACCOUNTS) {
    return NULL;
  }
  return in->accounts[index];
}

/*
 * A CPI view of an input account. The pointers must point into the input
 * buffer (the runtime maps account data directly), so infos are built from
 * records, never from copies.
 */
static inline void sbf_account_info(SolAccountInfo *info, SbfAccount *a) {
  info->key = &a->key;
  info->lamports = &a->lamports;
  info->data_len = a->data_len;
  info->data = a->data;
  info->owner = &a->owner;
  info->rent_epoch = 0; /* not read by the runtime for C callers */
  info->is_signer = a->is_signer != 0;
  info->is_writable = a->is_writable != 0;
  info->executable = a->executable != 0;
}

/* ------------------------------------------------------------------------
 * Rent
 * ------------------------------------------------------------------------ */
#define SBF_ACCOUNT_STORAGE_OVERHEAD 128

static inline u64 sbf_bit_length(u64 v) {
  u64 n = 0;
  while (v != 0) {
    v >>= 1;
    n++;
  }
  return n;
}

/*
 * Rent::minimum_balance(data_len):
 *   (((128 + data_len) * lamports_per_byte_year) as f64 * exemption_threshold) as u64
 * computed in integers. The threshold m * 2^e is applied exactly, which
 * equals the f64 result whenever that product is exactly representable: always
 * for the thresholds clusters use (2.0, and 1.0 after SIMD-0194). Returns
 * false for thresholds it cannot apply (negative, NaN, infinite, or a product
 * past u64).
 */
SBF_HELPER SBF_NOINLINE bool sbf_rent_minimum_balance(const SolRent *rent, u64 data_len,
                                                     u64 *out) {
  u64 bits = rent->exemption_threshold_bits;
  u64 exponent = (bits >> 52) & 0x7ff;
  u64 mantissa = bits & ((1ULL << 52) - 1);
  if ((bits >> 63) != 0 || exponent == 0x7ff) {
    return false;
  }
  u64 base = (SBF_ACCOUNT_STORAGE_OVERHEAD + data_len) * rent->lamports_per_byte_year;
  if (exponent == 0 && mantissa == 0) {
    *out = 0;
    return true;
  }
  /* value = mantissa * 2^shift, with the implicit leading bit for normals */
  i64 shift;
  if (exponent == 0) {
    shift = -1074;
  } else {
    mantissa |= 1ULL << 52;
    shift = (i64)exponent - 1075;
  }
  while ((mantissa & 1) == 0) {
    mantissa >>= 1;
    shift++;
  }
  /* A bit-length bound instead of a division check, which clang turns into a
   * 128-bit multiply the SBF backend cannot lower. */
  if (sbf_bit_length(base) + sbf_bit_length(mantissa) > 64) {
    return false;
  }
  u64 product = base * mantissa;
  if (shift >= 0) {
    if (shift >= 64 || (product != 0 && product > (U64_MAX >> shift))) {
      return false;
    }
    *out = product << shift;
  } else {
    *out = (shift <= -64) ? 0 : product >> (u64)(-shift);
  }
  return true;
}

/* ------------------------------------------------------------------------
 * System program CPI
 *
 * Each helper builds one System instruction (bincode: u32 LE variant index,
 * then its fields) and invokes it. The System program must be among the
 * caller's instruction accounts. signers may be NULL with n_signers 0.
 * ------------------------------------------------------------------------ */
#define SBF_SYSTEM_CREATE_ACCOUNT 0
#define SBF_SYSTEM_ASSIGN 1
#define SBF_SYSTEM_TRANSFER 2
#define SBF_SYSTEM_ALLOCATE 8

static inline void sbf_write_u32_le(u8 *p, u32 v) {
  p[0] = (u8)v;
  p[1] = (u8)(v >> 8);
  p[2] = (u8)(v >> 16);
  p[3] = (u8)(v >> 24);
}

/* One System instruction over one or two accounts, all writable. */
typedef struct {
  u8 *data;
  u64 data_len;
  SbfAccount *first;  /* always signs (payer, or the account being changed) */
  SbfAccount *second; /* NULL for single-account instructions */
  bool second_signs;
  const SolSignerSeeds *signers; /* PDA seeds, or NULL */
} SbfSystemCall;

SBF_HELPER SBF_NOINLINE u64 sbf_system_invoke(const SbfSystemCall *call) {
  SolPubkey system_id;
  SolAccountMeta metas[2];
  SolAccountInfo infos[2];
  SolInstruction ix;
  u64 n = (call->second != NULL) ? 2 : 1;

  sbf_system_program_id(&system_id);
  metas[0].pubkey = &call->first->key;
  metas[0].is_writable = true;
  metas[0].is_signer = true;
  sbf_account_info(&infos[0], call->first);
  if (call->second != NULL) {
    metas[1].pubkey = &call->second->key;
    metas[1].is_writable = true;
    metas[1].is_signer = call->second_signs;
    sbf_account_info(&infos[1], call->second);
  }
  ix.program_id = &system_id;
  ix.accounts = metas;
  ix.account_len = n;
  ix.data = call->data;
  ix.data_len = call->data_len;
  return sol_invoke_signed_c(&ix, infos, n, call->signers, call->signers != NULL ? 1 : 0);
}

/* SystemInstruction::CreateAccount { lamports, space, owner } */
typedef struct {
  SbfAccount *from; /* funds the account; must have signed */
  SbfAccount *to;   /* must sign: a fresh keypair or a PDA in signers */
  u64 lamports;
  u64 space;
  const SolPubkey *owner;
  const SolSignerSeeds *signers;
} SbfCreateAccount;

SBF_HELPER SBF_NOINLINE u64 sbf_system_create_account(const SbfCreateAccount *args) {
  u8 data[52];
  sbf_write_u32_le(data, SBF_SYSTEM_CREATE_ACCOUNT);
  sbf_write_u64_le(data + 4, args->lamports);
  sbf_write_u64_le(data + 12, args->space);
  for (int i = 0; i < 32; i++) {
    data[20 + i] = args->owner->bytes[i];
  }
  SbfSystemCall call = {data, sizeof(data), args->from, args->to, true, args->signers};
  return sbf_system_invoke(&call);
}

/* SystemInstruction::Transfer { lamports }; from must have signed (or be a
 * PDA of the caller listed in signers). */
SBF_HELPER SBF_NOINLINE u64 sbf_system_transfer(SbfAccount *from, SbfAccount *to,
                                                u64 lamports,
                                                const SolSignerSeeds *signers) {
  u8 data[12];
  sbf_write_u32_le(data, SBF_SYSTEM_TRANSFER);
  sbf_write_u64_le(data + 4, lamports);
  SbfSystemCall call = {data, sizeof(data), from, to, false, signers};
  return sbf_system_invoke(&call);
}

/* SystemInstruction::Allocate { space } */
SBF_HELPER SBF_NOINLINE u64 sbf_system_allocate(SbfAccount *account, u64 space,
                                                const SolSignerSeeds *signers) {
  u8 data[12];
  sbf_write_u32_le(data, SBF_SYSTEM_ALLOCATE);
  sbf_write_u64_le(data + 4, space);
  SbfSystemCall call = {data, sizeof(data), account, NULL, false, signers};
  return sbf_system_invoke(&call);
}

/* SystemInstruction::Assign { owner } */
SBF_HELPER SBF_NOINLINE u64 sbf_system_assign(SbfAccount *account, const SolPubkey *owner,
                                              const SolSignerSeeds *signers) {
  u8 data[36];
  sbf_write_u32_le(data, SBF_SYSTEM_ASSIGN);
  for (int i = 0; i < 32; i++) {
    data[4 + i] = owner->bytes[i];
  }
  SbfSystemCall call = {data, sizeof(data), account, NULL, false, signers};
  return sbf_system_invoke(&call);
}

#endif /* SESSIONKIT_SBF_H */
