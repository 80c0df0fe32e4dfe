//go:build ignore

// program/build.mk compiles this file with clang; the constraint above keeps the Go tool,
// which refuses C files in a package that does not use cgo, from reading it.
/*
 * example_game: a tiny target program for session keys.
 *
 * A player account (PDA ["player", owner]) holds its owner and a position.
 * move_player may be signed by the owner, or by a session signer that
 * presents a session token issued by the session-keys program for this
 * program and the player's owner: exactly what upstream's `Session` derive
 * and #[session_auth_or(player.owner == signer, GameError::Unauthorized)]
 * generate for an Anchor target (wire reference §6).
 *
 *   init_player()                 accounts: player (w, init), owner (w, s),
 *                                           system_program
 *   move_player(direction: u8)    accounts: player (w), signer (s),
 *                                           session_token (this program's id
 *                                           for "no session")
 *   buy_item(amount: u64)         accounts: player (w), signer (s),
 *                                           session_token (as move_player),
 *                                           source (w), mint, treasury (w),
 *                                           token_program
 *
 * buy_item pays the game amount tokens: a TransferChecked, by CPI to the
 * Token or Token-2022 program, from source (the session signer's token
 * account) to the game's treasury, the token account owned by the PDA
 * ["treasury"] of this program, with the signer's signature passed on. The
 * token program refuses when source holds too little.
 *
 * Token ownership is checked against upstream's session program id
 * (KeyspM2ss…), like every upstream target; this program's own id comes
 * from the input, so the binary runs under any address.
 */
#include "../include/sbf.h"
#include "../gplsession/anchor.h"
#include "../gplsession/session_keys.h"

/* sha256("global:<name>")[..8] as little-endian u64s. */
#define IX_INIT_PLAYER 0x42e40f3290db1b72ULL
#define IX_MOVE_PLAYER 0xe78c75badd443a11ULL
#define IX_BUY_ITEM 0xb8461bd8c9c15250ULL

/* SPL token account and mint fields buy_item reads. */
#define TOKEN_ACCOUNT_MINT 0
#define TOKEN_ACCOUNT_OWNER 32
#define TOKEN_ACCOUNT_LEN 165
#define MINT_DECIMALS 44
#define MINT_LEN 82
#define TOKEN_IX_TRANSFER_CHECKED 12
#define TREASURY_SEED "treasury"

/* sha256("account:Player")[..8]; Player { owner: Pubkey, x: i64, y: i64,
 * moves: u64 }. */
#define PLAYER_DISCRIMINATOR 0xdace9ba50770decdULL
#define PLAYER_OWNER 8
#define PLAYER_X 40
#define PLAYER_Y 48
#define PLAYER_MOVES 56
#define PLAYER_LEN 64
#define PLAYER_SEED "player"

/* Direction, a borsh unit enum (one variant byte). */
#define DIRECTION_UP 0
#define DIRECTION_DOWN 1
#define DIRECTION_LEFT 2
#define DIRECTION_RIGHT 3

/* GameError (#[error_code], offset 6000). Session failures are raised with
 * SessionError's codes (6001 InvalidToken), so 6000 of this program and
 * 6000 of the session program mean different things. */
#define GAME_ERROR_UNAUTHORIZED 6000
/* 6001 is SessionError's InvalidToken, above. */
#define GAME_ERROR_WRONG_TREASURY 6002

static void anchor_program_error_text(u32 code, AnchorErrorText *out) {
  switch (code) {
  case GAME_ERROR_UNAUTHORIZED:
    ANCHOR_ERROR_TEXT(out, "Unauthorized", "Signer is not the player's owner");
    break;
  case SESSION_ERROR_INVALID_TOKEN:
    ANCHOR_ERROR_TEXT(out, "InvalidToken", "Invalid session token");
    break;
  case GAME_ERROR_WRONG_TREASURY:
    ANCHOR_ERROR_TEXT(out, "WrongTreasury", "Treasury is not the game's token account for the mint");
    break;
  default:
    ANCHOR_ERROR_TEXT(out, "Unknown", "Unknown error");
    break;
  }
}

static inline SolPubkey *player_owner(SbfAccount *player) {
  return (SolPubkey *)(player->data + PLAYER_OWNER);
}

/* ------------------------------------------------------------------------
 * init_player
 * ------------------------------------------------------------------------ */

/*
 * #[account(init, seeds = ["player", owner], bump, payer = owner, space = 64)]
 * player, #[account(mut)] owner: Signer, system_program: Program<System>.
 */
static SBF_NOINLINE u64 init_player(const SbfInput *in) {
  AnchorAccounts c;
  SbfAccount *player;
  SbfAccount *owner;
  SbfAccount *system_program;
  SolSignerSeed seeds[3];
  u8 bump;
  u64 err;

  anchor_accounts_begin(&c, in);
  if ((err = anchor_take(&c, NULL, &player)) != SUCCESS ||
      (err = anchor_take_signer(&c, "owner", &owner)) != SUCCESS ||
      (err = anchor_take_system_program(&c, "system_program", &system_program)) != SUCCESS) {
    return err;
  }

  seeds[0].addr = (const u8 *)PLAYER_SEED;
  seeds[0].len = sizeof(PLAYER_SEED) - 1;
  seeds[1].addr = owner->key.bytes;
  seeds[1].len = 32;
  AnchorSeeds pda = {seeds, 2, &in->program_id, &bump};
  if ((err = anchor_constraint_seeds(&pda, player, "player")) != SUCCESS) {
    return err;
  }
  SolSignerSeeds signer = {seeds, 3};
  AnchorInit init = {player, owner, &in->program_id, PLAYER_LEN, &signer};
  if ((err = anchor_init_pda(&init)) != SUCCESS ||
      (err = anchor_constraint_mut(owner, "owner")) != SUCCESS) {
    return err;
  }

  u8 *d = player->data;
  *(u64 *)d = PLAYER_DISCRIMINATOR;
  *player_owner(player) = owner->key;
  *(u64 *)(d + PLAYER_X) = 0;
  *(u64 *)(d + PLAYER_Y) = 0;
  *(u64 *)(d + PLAYER_MOVES) = 0;
  return SUCCESS;
}

/* ------------------------------------------------------------------------
 * move_player
 * ------------------------------------------------------------------------ */

typedef struct {
  SbfAccount *player;
  SbfAccount *signer;
  SbfAccount *session_token; /* NULL: no session, the owner must sign */
  SessionTokenVersion version;
} MoveContext;

/*
 * #[account(mut)] player: Account<Player>, signer: Signer,
 * #[session(signer = signer, authority = player.owner.key())]
 * session_token: Option<Account<SessionToken>> (V1 or V2 here).
 */
static SBF_NOINLINE u64 move_take_accounts(const SbfInput *in, AnchorAccounts *c,
                                           MoveContext *ctx) {
  AnchorAccountType player_type = {&in->program_id, PLAYER_DISCRIMINATOR, PLAYER_LEN};
  u64 err;
  anchor_accounts_begin(c, in);
  if ((err = anchor_take_account(c, "player", &player_type, &ctx->player)) != SUCCESS ||
      (err = anchor_take_signer(c, "signer", &ctx->signer)) != SUCCESS ||
      (err = session_keys_take_token(c, &in->program_id, &ctx->session_token,
                                     &ctx->version)) != SUCCESS) {
    return err;
  }
  return anchor_constraint_mut(ctx->player, "player");
}

/*
 * #[session_auth_or(player.owner == signer, GameError::Unauthorized)]:
 * with a token, it must validate for (this program, signer, player.owner)
 * (6001); without one, the signer must be the owner (6000).
 */
static SBF_NOINLINE u64 move_authorize(const SbfInput *in, const MoveContext *ctx) {
  const SolPubkey *owner = player_owner(ctx->player);
  if (ctx->session_token == NULL) {
    if (!sbf_pubkey_eq(owner, &ctx->signer->key)) {
      return anchor_error(GAME_ERROR_UNAUTHORIZED, NULL);
    }
    return SUCCESS;
  }
  /* Upstream's follow-up require_eq!(session_authority, token.authority)
   * cannot fail once the token sits at the PDA of (.., owner): only the
   * session program creates accounts there, from its own fields. */
  SessionValidity validity = {ctx->session_token, ctx->version, &in->program_id,
                              &ctx->signer->key, owner};
  return session_keys_validate(&validity);
}

/* Positions wrap around like i64::wrapping_add; moves counts every step. */
static void move_apply(SbfAccount *player, u8 direction) {
  u64 *x = (u64 *)(player->data + PLAYER_X);
  u64 *y = (u64 *)(player->data + PLAYER_Y);
  u64 *moves = (u64 *)(player->data + PLAYER_MOVES);
  switch (direction) {
  case DIRECTION_UP:
    *y += 1;
    break;
  case DIRECTION_DOWN:
    *y -= 1;
    break;
  case DIRECTION_LEFT:
    *x -= 1;
    break;
  default:
    *x += 1;
    break;
  }
  *moves += 1;
}

static SBF_NOINLINE u64 move_player(const SbfInput *in) {
  BorshReader r;
  AnchorAccounts c;
  MoveContext ctx;
  u8 direction;
  u64 err;
  anchor_args(&r, in);
  if (!borsh_u8(&r, &direction) || direction > DIRECTION_RIGHT) {
    return anchor_error(ANCHOR_INSTRUCTION_DID_NOT_DESERIALIZE, NULL);
  }
  if ((err = move_take_accounts(in, &c, &ctx)) != SUCCESS ||
      (err = move_authorize(in, &ctx)) != SUCCESS) {
    return err;
  }
  move_apply(ctx.player, direction);
  return SUCCESS;
}

/* ------------------------------------------------------------------------
 * buy_item
 * ------------------------------------------------------------------------ */

static bool is_token_program(const SolPubkey *id) {
  static const SolPubkey token = {.words = {0x93a165d7e1f6dd06ULL, 0xac79ebce46e1cbd9ULL,
                                            0x91375b5fed85b41cULL, 0xa900ff7e85f58c3aULL}};
  static const SolPubkey token2022 = {.words = {0xde8f75eee1f6dd06ULL, 0xdacd6ce4bc5d4218ULL,
                                                0x270db9834dfc1ab6ULL, 0xfc8ba1d828f9bdfeULL}};
  return sbf_pubkey_eq(id, &token) || sbf_pubkey_eq(id, &token2022);
}

typedef struct {
  SbfAccount *source;
  SbfAccount *mint;
  SbfAccount *treasury;
  SbfAccount *token_program;
} BuyAccounts;

/*
 * After move_player's accounts: source (w), mint, treasury (w) and the token
 * program (Token or Token-2022, executable), which must own mint and
 * treasury; the treasury must hold the mint for the PDA ["treasury"].
 */
static SBF_NOINLINE u64 buy_take_accounts(const SbfInput *in, AnchorAccounts *c, BuyAccounts *b) {
  SolSignerSeed seed = {(const u8 *)TREASURY_SEED, sizeof(TREASURY_SEED) - 1};
  SolPubkey treasury_owner;
  u8 bump;
  u64 err;
  if ((err = anchor_take(c, "source", &b->source)) != SUCCESS ||
      (err = anchor_take(c, "mint", &b->mint)) != SUCCESS ||
      (err = anchor_take(c, "treasury", &b->treasury)) != SUCCESS ||
      (err = anchor_take(c, "token_program", &b->token_program)) != SUCCESS ||
      (err = anchor_constraint_mut(b->source, "source")) != SUCCESS ||
      (err = anchor_constraint_mut(b->treasury, "treasury")) != SUCCESS ||
      (err = anchor_constraint_executable(b->token_program, "token_program")) != SUCCESS) {
    return err;
  }
  if (!is_token_program(&b->token_program->key)) {
    return anchor_error(ANCHOR_INVALID_PROGRAM_ID, "token_program");
  }
  if (!sbf_pubkey_eq(&b->mint->owner, &b->token_program->key) || b->mint->data_len < MINT_LEN) {
    return anchor_error(ANCHOR_ACCOUNT_OWNED_BY_WRONG_PROGRAM, "mint");
  }
  if (!sbf_pubkey_eq(&b->treasury->owner, &b->token_program->key) ||
      b->treasury->data_len < TOKEN_ACCOUNT_LEN) {
    return anchor_error(ANCHOR_ACCOUNT_OWNED_BY_WRONG_PROGRAM, "treasury");
  }
  if (sol_try_find_program_address(&seed, 1, &in->program_id, &treasury_owner, &bump) != SUCCESS) {
    return anchor_error(ANCHOR_CONSTRAINT_SEEDS, "treasury");
  }
  SolPubkey mint_field, owner_field;
  sol_memcpy_(&mint_field, b->treasury->data + TOKEN_ACCOUNT_MINT, sizeof(SolPubkey));
  sol_memcpy_(&owner_field, b->treasury->data + TOKEN_ACCOUNT_OWNER, sizeof(SolPubkey));
  if (!sbf_pubkey_eq(&owner_field, &treasury_owner) || !sbf_pubkey_eq(&mint_field, &b->mint->key)) {
    return anchor_error(GAME_ERROR_WRONG_TREASURY, "treasury");
  }
  return SUCCESS;
}

/* TransferChecked { amount, decimals } from source to treasury, signed by
 * the session signer (or owner) whose signature this instruction carries. */
static SBF_NOINLINE u64 buy_transfer(const BuyAccounts *b, SbfAccount *signer, u64 amount) {
  SolAccountMeta metas[4];
  SolAccountInfo infos[4];
  SbfAccount *accounts[4] = {b->source, b->mint, b->treasury, signer};
  u8 data[10];
  SolInstruction ix;
  for (int i = 0; i < 4; i++) {
    metas[i].pubkey = &accounts[i]->key;
    metas[i].is_writable = (i == 0 || i == 2);
    metas[i].is_signer = (i == 3);
    sbf_account_info(&infos[i], accounts[i]);
  }
  data[0] = TOKEN_IX_TRANSFER_CHECKED;
  for (int i = 0; i < 8; i++) {
    data[1 + i] = (u8)(amount >> (8 * i));
  }
  data[9] = b->mint->data[MINT_DECIMALS];
  ix.program_id = &b->token_program->key;
  ix.accounts = metas;
  ix.account_len = 4;
  ix.data = data;
  ix.data_len = sizeof(data);
  return sol_invoke_signed_c(&ix, infos, 4, NULL, 0);
}

static SBF_NOINLINE u64 buy_item(const SbfInput *in) {
  BorshReader r;
  AnchorAccounts c;
  MoveContext ctx;
  BuyAccounts b;
  u64 amount;
  u64 err;
  anchor_args(&r, in);
  if (!borsh_u64(&r, &amount)) {
    return anchor_error(ANCHOR_INSTRUCTION_DID_NOT_DESERIALIZE, NULL);
  }
  if ((err = move_take_accounts(in, &c, &ctx)) != SUCCESS ||
      (err = buy_take_accounts(in, &c, &b)) != SUCCESS ||
      (err = move_authorize(in, &ctx)) != SUCCESS) {
    return err;
  }
  return buy_transfer(&b, ctx.signer, amount);
}

/* ------------------------------------------------------------------------
 * Entrypoint and dispatch
 * ------------------------------------------------------------------------ */

static SBF_NOINLINE u64 dispatch(const SbfInput *in) {
  if (in->data_len < ANCHOR_DISCRIMINATOR_LEN) {
    return anchor_fallback(in);
  }
  switch (*(const u64 *)in->data) {
  case IX_INIT_PLAYER:
    anchor_log_instruction("InitPlayer");
    return init_player(in);
  case IX_MOVE_PLAYER:
    anchor_log_instruction("MovePlayer");
    return move_player(in);
  case IX_BUY_ITEM:
    anchor_log_instruction("BuyItem");
    return buy_item(in);
  default:
    return anchor_fallback(in);
  }
}

u64 entrypoint(u8 *input) {
  SbfInput in;
  sbf_deserialize(input, &in);
  return dispatch(&in);
}
