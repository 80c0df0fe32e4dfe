// Package deploy deploys, upgrades and hands over SBF programs through the BPF
// Upgradeable Loader (loader-v3) on any cluster, running its deploy-time verifier.
package deploy

import (
	"encoding/binary"

	"github.com/gagliardetto/solana-go"
)

// LoaderID is the BPF Upgradeable Loader.
var LoaderID = solana.BPFLoaderUpgradeableProgramID

// Sizes of the loader's account headers (bincode UpgradeableLoaderState).
const (
	// BufferHeaderSize precedes the ELF in a buffer: tag u32, Option<Pubkey> authority.
	BufferHeaderSize = 37
	// ProgramAccountSize is the whole program account: tag u32, programdata Pubkey.
	ProgramAccountSize = 36
	// ProgramDataHeaderSize precedes the ELF in programdata: tag u32, slot u64,
	// Option<Pubkey> authority.
	ProgramDataHeaderSize = 45
)

// Instruction tags: the bincode u32 enum index of UpgradeableLoaderInstruction.
const (
	tagInitializeBuffer     = 0
	tagWrite                = 1
	tagDeployWithMaxDataLen = 2
	tagUpgrade              = 3
	tagSetAuthority         = 4
	tagExtendProgram        = 6
)

// ProgramDataAddress derives the account that holds program's ELF and authority.
func ProgramDataAddress(program solana.PublicKey) solana.PublicKey {
	addr, _, err := solana.FindProgramAddress([][]byte{program[:]}, LoaderID)
	if err != nil {
		// One 32-byte seed always has a valid bump.
		panic(err)
	}
	return addr
}

func tagged(tag uint32, extra int) []byte {
	b := make([]byte, 4, 4+extra)
	binary.LittleEndian.PutUint32(b, tag)
	return b
}

func instruction(data []byte, metas ...*solana.AccountMeta) solana.Instruction {
	return solana.NewInstruction(LoaderID, metas, data)
}

// InitializeBufferInstruction initialises an account created (in the same transaction)
// with BufferHeaderSize+len(elf) bytes, owned by the loader.
func InitializeBufferInstruction(buffer, authority solana.PublicKey) solana.Instruction {
	return instruction(tagged(tagInitializeBuffer, 0),
		solana.Meta(buffer).WRITE(),
		solana.Meta(authority),
	)
}

// WriteInstruction copies data into buffer's ELF area at offset; authority signs.
func WriteInstruction(buffer, authority solana.PublicKey, offset uint32, data []byte) solana.Instruction {
	b := tagged(tagWrite, 12+len(data))
	b = binary.LittleEndian.AppendUint32(b, offset)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = append(b, data...)
	return instruction(b,
		solana.Meta(buffer).WRITE(),
		solana.Meta(authority).SIGNER(),
	)
}

// DeployWithMaxDataLenInstruction turns a written buffer into program, whose account must
// be created with ProgramAccountSize bytes in the same transaction. payer
// funds programdata; maxDataLen bounds later upgrades without extension.
func DeployWithMaxDataLenInstruction(payer, program, buffer, authority solana.PublicKey, maxDataLen uint64) solana.Instruction {
	b := binary.LittleEndian.AppendUint64(tagged(tagDeployWithMaxDataLen, 8), maxDataLen)
	return instruction(b,
		solana.Meta(payer).WRITE().SIGNER(),
		solana.Meta(ProgramDataAddress(program)).WRITE(),
		solana.Meta(program).WRITE(),
		solana.Meta(buffer).WRITE(),
		solana.Meta(solana.SysVarRentPubkey),
		solana.Meta(solana.SysVarClockPubkey),
		solana.Meta(solana.SystemProgramID),
		solana.Meta(authority).SIGNER(),
	)
}

// UpgradeInstruction replaces program's ELF with buffer's; the buffer's lamports beyond
// programdata's rent go to spill.
func UpgradeInstruction(program, buffer, authority, spill solana.PublicKey) solana.Instruction {
	return instruction(tagged(tagUpgrade, 0),
		solana.Meta(ProgramDataAddress(program)).WRITE(),
		solana.Meta(program).WRITE(),
		solana.Meta(buffer).WRITE(),
		solana.Meta(spill).WRITE(),
		solana.Meta(solana.SysVarRentPubkey),
		solana.Meta(solana.SysVarClockPubkey),
		solana.Meta(authority).SIGNER(),
	)
}

// SetAuthorityInstruction changes the authority of a buffer or programdata account;
// next nil makes it immutable for good.
func SetAuthorityInstruction(account, current solana.PublicKey, next *solana.PublicKey) solana.Instruction {
	metas := []*solana.AccountMeta{
		solana.Meta(account).WRITE(),
		solana.Meta(current).SIGNER(),
	}
	if next != nil {
		metas = append(metas, solana.Meta(*next))
	}
	return instruction(tagged(tagSetAuthority, 0), metas...)
}

// ExtendProgramInstruction grows program's programdata by additional bytes, payer
// funding the extra rent.
func ExtendProgramInstruction(program, payer solana.PublicKey, additional uint32) solana.Instruction {
	b := binary.LittleEndian.AppendUint32(tagged(tagExtendProgram, 4), additional)
	return instruction(b,
		solana.Meta(ProgramDataAddress(program)).WRITE(),
		solana.Meta(program).WRITE(),
		solana.Meta(solana.SystemProgramID),
		solana.Meta(payer).WRITE().SIGNER(),
	)
}
