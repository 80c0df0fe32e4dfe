package programtest

import (
	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

// Instruction is an editable copy of a built instruction, for sending what the
// builders refuse to build: bad arguments, missing signatures, wrong accounts.
type Instruction struct {
	program solana.PublicKey
	metas   solana.AccountMetaSlice
	data    []byte
}

// Edit copies a freshly built instruction for editing: e.Edit(client.NewX(...)).
func (e *Env) Edit(ix solana.Instruction, err error) *Instruction {
	e.T.Helper()
	require.NoError(e.T, err)
	data, err := ix.Data()
	require.NoError(e.T, err)
	out := &Instruction{program: ix.ProgramID(), data: append([]byte(nil), data...)}
	for _, m := range ix.Accounts() {
		meta := *m
		out.metas = append(out.metas, &meta)
	}
	return out
}

// Build returns the edited instruction; later edits do not change it.
func (ix *Instruction) Build() solana.Instruction {
	metas := make(solana.AccountMetaSlice, len(ix.metas))
	for i, m := range ix.metas {
		meta := *m
		metas[i] = &meta
	}
	return solana.NewInstruction(ix.program, metas, append([]byte(nil), ix.data...))
}

func (ix *Instruction) Data() []byte { return ix.data }

func (ix *Instruction) SetAccount(i int, key solana.PublicKey) *Instruction {
	ix.metas[i].PublicKey = key
	return ix
}

func (ix *Instruction) SetSigner(i int, signer bool) *Instruction {
	ix.metas[i].IsSigner = signer
	return ix
}

func (ix *Instruction) SetWritable(i int, writable bool) *Instruction {
	ix.metas[i].IsWritable = writable
	return ix
}

func (ix *Instruction) TruncateAccounts(n int) *Instruction {
	ix.metas = ix.metas[:n]
	return ix
}

func (ix *Instruction) SetData(data []byte) *Instruction {
	ix.data = data
	return ix
}
