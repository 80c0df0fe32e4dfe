package deploy

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Error names the deployment step that failed.
type Error struct {
	// Step is e.g. "create buffer", "write at offset 1024", "deploy program".
	Step string
	Err  error
}

// Error ends with a failed transaction's program logs, where the loader says
// why it refused a program.
func (e *Error) Error() string {
	msg := "deploy: " + e.Step + ": " + e.Err.Error()
	var te *sender.FailedError
	if errors.As(e.Err, &te) && len(te.Logs) > 0 {
		msg += "\nprogram logs:\n  " + strings.Join(te.Logs, "\n  ")
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrEmptyELF means there was no program to deploy.
	ErrEmptyELF = errors.New("deploy: empty ELF")
	// ErrNotUpgradeable means the program has no upgrade authority left.
	ErrNotUpgradeable = errors.New("deploy: program is not upgradeable")
	// ErrNotProgram means the account is not a loader-v3 program.
	ErrNotProgram = errors.New("deploy: not an upgradeable-loader program")
)

// maxTxSize is the largest serialised transaction a cluster accepts.
const maxTxSize = 1232

// Params are the per-call arguments of Deploy, Upgrade and WriteBuffer; the zero
// value takes every default.
type Params struct {
	// Authority becomes the upgrade authority on Deploy; nil means the payer.
	Authority *txn.SessionKey
	// MaxDataLen is the largest ELF the program can later be upgraded to
	// without extending; default twice the ELF size.
	MaxDataLen uint64
	// Parallelism bounds concurrent buffer writes (default 8).
	Parallelism int
}

func (p Params) parallelism() int {
	if p.Parallelism > 0 {
		return p.Parallelism
	}
	return 8
}

// session bundles what every step of one operation needs.
type session struct {
	client *rpc.Client
	sender *sender.Sender
	payer  solana.PrivateKey
}

// newSession starts a session; close it when the operation ends.
func newSession(client *rpc.Client, payer solana.PrivateKey) (*session, error) {
	// Deploys mostly go to local clusters, which confirm within milliseconds;
	// one poll covers every write in flight. Surfpool makes each write a block,
	// so a blockhash there ages out (~150 blocks) in about a second of writes.
	s, err := sender.New(client, sender.WithPollInterval(50*time.Millisecond),
		sender.WithBlockhashRefresh(250*time.Millisecond))
	if err != nil {
		return nil, &Error{Step: "start sender", Err: err}
	}
	return &session{client: client, sender: s, payer: payer}, nil
}

func (s *session) close() { s.sender.Close() }

// send builds, signs with payer plus signers, sends and confirms one
// transaction; instructions are rebuilt per attempt because solana-go
// mutates their account metas.
func (s *session) send(ctx context.Context, step string, ixs func() []solana.Instruction, signers ...solana.PrivateKey) error {
	keys := map[solana.PublicKey]*solana.PrivateKey{s.payer.PublicKey(): &s.payer}
	for i := range signers {
		keys[signers[i].PublicKey()] = &signers[i]
	}
	_, err := s.sender.Send(ctx, func(h solana.Hash) ([]byte, error) {
		tx, err := solana.NewTransaction(ixs(), h, solana.TransactionPayer(s.payer.PublicKey()))
		if err != nil {
			return nil, err
		}
		if _, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey { return keys[pk] }); err != nil {
			return nil, err
		}
		return tx.MarshalBinary()
	})
	if err != nil {
		return &Error{Step: step, Err: err}
	}
	return nil
}

func (s *session) rent(ctx context.Context, size uint64) (uint64, error) {
	lamports, err := s.client.GetMinimumBalanceForRentExemption(ctx, size, rpc.CommitmentConfirmed)
	if err != nil {
		return 0, &Error{Step: "get rent", Err: err}
	}
	return lamports, nil
}

// Deploy deploys elf under program's address with the loader's full deploy
// path: create and fill a buffer, then DeployWithMaxDataLen, which runs the
// verifier. payer pays fees and rent. It returns the program id.
func Deploy(ctx context.Context, client *rpc.Client, payer, program solana.PrivateKey, elf []byte, p Params) (solana.PublicKey, error) {
	authority := payer
	if p.Authority != nil {
		// The loader signs through solana-go, which needs the raw key; the copy lives
		// only for this call.
		authority = p.Authority.PrivateKey()
		if authority == nil {
			return solana.PublicKey{}, &Error{Step: "read Params.Authority", Err: txn.ErrKeyZeroed}
		}
		defer clear(authority)
	}
	s, err := newSession(client, payer)
	if err != nil {
		return solana.PublicKey{}, err
	}
	defer s.close()
	buffer, err := s.writeBuffer(ctx, authority, elf, p.parallelism())
	if err != nil {
		return solana.PublicKey{}, err
	}
	maxLen := p.MaxDataLen
	if maxLen == 0 {
		maxLen = 2 * uint64(len(elf))
	}
	if maxLen < uint64(len(elf)) {
		return solana.PublicKey{}, &Error{Step: "deploy program", Err: fmt.Errorf("MaxDataLen %d is below the ELF size %d", maxLen, len(elf))}
	}
	lamports, err := s.rent(ctx, ProgramAccountSize)
	if err != nil {
		return solana.PublicKey{}, err
	}
	programID := program.PublicKey()
	err = s.send(ctx, "deploy program", func() []solana.Instruction {
		return []solana.Instruction{
			system.NewCreateAccountInstruction(lamports, ProgramAccountSize, LoaderID, payer.PublicKey(), programID).Build(),
			DeployWithMaxDataLenInstruction(payer.PublicKey(), programID, buffer, authority.PublicKey(), maxLen),
		}
	}, program, authority)
	if err != nil {
		return solana.PublicKey{}, err
	}
	return programID, nil
}

// WriteBuffer creates a buffer owned by authority, writes elf into it and
// returns its address, e.g. for an upgrade that another party signs.
func WriteBuffer(ctx context.Context, client *rpc.Client, payer, authority solana.PrivateKey, elf []byte, p Params) (solana.PublicKey, error) {
	s, err := newSession(client, payer)
	if err != nil {
		return solana.PublicKey{}, err
	}
	defer s.close()
	return s.writeBuffer(ctx, authority, elf, p.parallelism())
}

func (s *session) writeBuffer(ctx context.Context, authority solana.PrivateKey, elf []byte, parallel int) (solana.PublicKey, error) {
	if len(elf) == 0 {
		return solana.PublicKey{}, ErrEmptyELF
	}
	bufKey, err := solana.NewRandomPrivateKey()
	if err != nil {
		return solana.PublicKey{}, err
	}
	buffer := bufKey.PublicKey()
	size := uint64(BufferHeaderSize + len(elf))
	lamports, err := s.rent(ctx, size)
	if err != nil {
		return solana.PublicKey{}, err
	}
	err = s.send(ctx, "create buffer", func() []solana.Instruction {
		return []solana.Instruction{
			system.NewCreateAccountInstruction(lamports, size, LoaderID, s.payer.PublicKey(), buffer).Build(),
			InitializeBufferInstruction(buffer, authority.PublicKey()),
		}
	}, bufKey)
	if err != nil {
		return solana.PublicKey{}, err
	}

	chunk, err := s.chunkSize(buffer, authority)
	if err != nil {
		return solana.PublicKey{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, parallel)
	)
	for off := 0; off < len(elf); off += chunk {
		data := elf[off:min(off+chunk, len(elf))]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(off int, data []byte) {
			defer wg.Done()
			defer func() { <-sem }()
			err := s.send(ctx, fmt.Sprintf("write at offset %d", off), func() []solana.Instruction {
				return []solana.Instruction{WriteInstruction(buffer, authority.PublicKey(), uint32(off), data)}
			}, authority)
			if err != nil {
				once.Do(func() { firstErr = err; cancel() })
			}
		}(off, data)
	}
	wg.Wait()
	if firstErr != nil {
		return solana.PublicKey{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return solana.PublicKey{}, &Error{Step: "write buffer", Err: err}
	}
	return buffer, nil
}

// chunkSize is the most ELF bytes one Write transaction can carry: the
// packet limit minus an empty Write transaction, minus one byte because the
// data length's compact encoding grows from one byte to two.
func (s *session) chunkSize(buffer solana.PublicKey, authority solana.PrivateKey) (int, error) {
	tx, err := solana.NewTransaction([]solana.Instruction{WriteInstruction(buffer, authority.PublicKey(), 0, nil)},
		solana.Hash{}, solana.TransactionPayer(s.payer.PublicKey()))
	if err != nil {
		return 0, err
	}
	msg, err := tx.Message.MarshalBinary()
	if err != nil {
		return 0, err
	}
	sigs := int(tx.Message.Header.NumRequiredSignatures)
	return maxTxSize - (1 + 64*sigs + len(msg)) - 1, nil
}

// Upgrade replaces the ELF of programID, signed by its upgrade authority,
// extending programdata first when elf no longer fits.
func Upgrade(ctx context.Context, client *rpc.Client, payer, authority solana.PrivateKey, programID solana.PublicKey, elf []byte, p Params) error {
	pd, err := FetchProgramData(ctx, client, programID)
	if err != nil {
		return err
	}
	if pd.Authority == nil {
		return ErrNotUpgradeable
	}
	s, err := newSession(client, payer)
	if err != nil {
		return err
	}
	defer s.close()
	if need := len(elf) - len(pd.ELF); need > 0 {
		// Newer runtimes (SIMD-0431) refuse extensions below 10 KiB.
		add := uint32(max(need, 10<<10))
		err := s.send(ctx, "extend program", func() []solana.Instruction {
			return []solana.Instruction{ExtendProgramInstruction(programID, payer.PublicKey(), add)}
		})
		if err != nil {
			return err
		}
	}
	buffer, err := s.writeBuffer(ctx, authority, elf, p.parallelism())
	if err != nil {
		return err
	}
	return s.send(ctx, "upgrade", func() []solana.Instruction {
		return []solana.Instruction{UpgradeInstruction(programID, buffer, authority.PublicKey(), payer.PublicKey())}
	}, authority)
}

// SetAuthority hands programID's upgrade authority from current to next; nil
// next makes the program immutable for good.
func SetAuthority(ctx context.Context, client *rpc.Client, payer, current solana.PrivateKey, programID solana.PublicKey, next *solana.PublicKey) error {
	s, err := newSession(client, payer)
	if err != nil {
		return err
	}
	defer s.close()
	return s.send(ctx, "set authority", func() []solana.Instruction {
		return []solana.Instruction{SetAuthorityInstruction(ProgramDataAddress(programID), current.PublicKey(), next)}
	}, current)
}

// ProgramData is the decoded programdata account of an upgradeable program.
type ProgramData struct {
	// Slot is when the program was last deployed or upgraded.
	Slot uint64
	// Authority may upgrade the program; nil when it is immutable.
	Authority *solana.PublicKey
	// ELF is the program area, including zero padding up to its capacity.
	ELF []byte
}

// FetchProgramData reads programID's programdata account.
func FetchProgramData(ctx context.Context, client *rpc.Client, programID solana.PublicKey) (*ProgramData, error) {
	res, err := client.GetAccountInfoWithOpts(ctx, ProgramDataAddress(programID), &rpc.GetAccountInfoOpts{
		Encoding:   solana.EncodingBase64,
		Commitment: rpc.CommitmentConfirmed,
	})
	if err != nil {
		return nil, &Error{Step: "read programdata of " + programID.String(), Err: err}
	}
	return DecodeProgramData(res.Value.Data.GetBinary())
}

// DecodeProgramData parses a programdata account's bytes.
func DecodeProgramData(data []byte) (*ProgramData, error) {
	const tagProgramData = 3
	// The authority's bincode Option tag is 0 or 1; reading any other value as "none"
	// would report a foreign account as an immutable program.
	if len(data) < ProgramDataHeaderSize || binary.LittleEndian.Uint32(data) != tagProgramData || data[12] > 1 {
		return nil, ErrNotProgram
	}
	pd := &ProgramData{Slot: binary.LittleEndian.Uint64(data[4:12]), ELF: data[ProgramDataHeaderSize:]}
	if data[12] == 1 {
		auth := solana.PublicKeyFromBytes(data[13:45])
		pd.Authority = &auth
	}
	return pd, nil
}
