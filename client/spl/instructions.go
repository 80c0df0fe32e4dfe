package spl

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// ErrNotTokenProgram: a builder was given a program id that is neither Token nor
// Token-2022.
var ErrNotTokenProgram = errors.New("spl: not a token program")

// Token instruction tags, shared by Token and Token-2022.
const (
	tagInitializeMint2 = 20
	tagTransfer        = 3
	tagRevoke          = 5
	tagMintTo          = 7
	tagCloseAccount    = 9
	tagTransferChecked = 12
	tagApproveChecked  = 13
	// Token-2022 only: the transfer-fee extension's instruction family.
	tagTransferFeeExtension = 26
	transferFeeInitialize   = 0
	transferFeeHarvest      = 4
	ataCreateIdempotent     = 1
)

func checkProgram(id solana.PublicKey) error {
	if !IsTokenProgram(id) {
		return fmt.Errorf("%w: %s", ErrNotTokenProgram, id)
	}
	return nil
}

func amountData(tag byte, amount uint64, extra ...byte) []byte {
	b := make([]byte, 9, 9+len(extra))
	b[0] = tag
	binary.LittleEndian.PutUint64(b[1:], amount)
	return append(b, extra...)
}

// TransferChecked moves amount (in base units, with the mint's decimals as a check) from
// source to dest, signed by owner (the source's owner or delegate). With a Token-2022
// transfer-fee mint, dest receives amount less the fee.
func TransferChecked(program, source, mint, dest, owner solana.PublicKey, amount uint64, decimals uint8) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(source).WRITE(),
		solana.Meta(mint),
		solana.Meta(dest).WRITE(),
		solana.Meta(owner).SIGNER(),
	}, amountData(tagTransferChecked, amount, decimals)), nil
}

// Transfer is the unchecked transfer (no mint, no decimals); Token-2022 refuses it for
// mints with a transfer fee.
func Transfer(program, source, dest, owner solana.PublicKey, amount uint64) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(source).WRITE(),
		solana.Meta(dest).WRITE(),
		solana.Meta(owner).SIGNER(),
	}, amountData(tagTransfer, amount)), nil
}

// CloseAccount closes a token account holding no tokens, its lamports going to dest,
// signed by the account's owner (or close authority).
func CloseAccount(program, account, dest, owner solana.PublicKey) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(account).WRITE(),
		solana.Meta(dest).WRITE(),
		solana.Meta(owner).SIGNER(),
	}, []byte{tagCloseAccount}), nil
}

// ApproveChecked lets delegate move up to amount from source, signed by source's owner.
// A token account has one delegate: this replaces any earlier one.
func ApproveChecked(program, source, mint, delegate, owner solana.PublicKey, amount uint64, decimals uint8) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(source).WRITE(),
		solana.Meta(mint),
		solana.Meta(delegate),
		solana.Meta(owner).SIGNER(),
	}, amountData(tagApproveChecked, amount, decimals)), nil
}

// Revoke removes source's delegate, signed by source's owner.
func Revoke(program, source, owner solana.PublicKey) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(source).WRITE(),
		solana.Meta(owner).SIGNER(),
	}, []byte{tagRevoke}), nil
}

// MintTo mints amount to dest, signed by the mint authority.
func MintTo(program, mint, dest, authority solana.PublicKey, amount uint64) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	return solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.Meta(mint).WRITE(),
		solana.Meta(dest).WRITE(),
		solana.Meta(authority).SIGNER(),
	}, amountData(tagMintTo, amount)), nil
}

// InitializeMint2 initialises the (already allocated, program-owned) mint account with
// no freeze authority.
func InitializeMint2(program, mint, mintAuthority solana.PublicKey, decimals uint8) (solana.Instruction, error) {
	if err := checkProgram(program); err != nil {
		return nil, err
	}
	data := make([]byte, 0, 35)
	data = append(data, tagInitializeMint2, decimals)
	data = append(data, mintAuthority[:]...)
	data = append(data, 0) // COption::None: no freeze authority
	return solana.NewInstruction(program, solana.AccountMetaSlice{solana.Meta(mint).WRITE()}, data), nil
}

// InitializeTransferFeeConfig (Token-2022) gives a mint, before InitializeMint2, a fee of
// basisPoints per transfer capped at maxFee, with authority as both the fee-config and
// the withdraw-withheld authority.
func InitializeTransferFeeConfig(mint, authority solana.PublicKey, basisPoints uint16, maxFee uint64) solana.Instruction {
	data := make([]byte, 0, 2+33+33+2+8)
	data = append(data, tagTransferFeeExtension, transferFeeInitialize)
	for range 2 { // COption<Pubkey>, packed as a one-byte tag and the key
		data = append(data, 1)
		data = append(data, authority[:]...)
	}
	data = binary.LittleEndian.AppendUint16(data, basisPoints)
	data = binary.LittleEndian.AppendUint64(data, maxFee)
	return solana.NewInstruction(Token2022ProgramID, solana.AccountMetaSlice{solana.Meta(mint).WRITE()}, data)
}

// HarvestWithheldTokensToMint (Token-2022, signed by nobody) moves the transfer fees
// withheld in accounts to their mint. A token account holding withheld fees cannot be
// closed, so a revoke harvests before it closes.
func HarvestWithheldTokensToMint(mint solana.PublicKey, accounts ...solana.PublicKey) solana.Instruction {
	metas := solana.AccountMetaSlice{solana.Meta(mint).WRITE()}
	for _, a := range accounts {
		metas = append(metas, solana.Meta(a).WRITE())
	}
	return solana.NewInstruction(Token2022ProgramID, metas, []byte{tagTransferFeeExtension, transferFeeHarvest})
}

// CreateIdempotent creates owner's associated token account for mint under tokenProgram,
// payer paying its rent; if the account exists already it does nothing.
func CreateIdempotent(payer, owner, mint, tokenProgram solana.PublicKey) (solana.Instruction, error) {
	ata, err := AssociatedTokenAddress(owner, mint, tokenProgram)
	if err != nil {
		return nil, err
	}
	return solana.NewInstruction(AssociatedTokenProgramID, solana.AccountMetaSlice{
		solana.Meta(payer).WRITE().SIGNER(),
		solana.Meta(ata).WRITE(),
		solana.Meta(owner),
		solana.Meta(mint),
		solana.Meta(solana.SystemProgramID),
		solana.Meta(tokenProgram),
	}, []byte{ataCreateIdempotent}), nil
}
