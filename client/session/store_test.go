package session

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

func TestStorePersister(t *testing.T) {
	ctx := t.Context()
	st := tokenstore.NewMemory()
	p := StorePersister(st, pda.MagicBlockProgramID)
	s := testSession(t, nil, 1_900_000_000)
	snap := s.Snapshot()

	require.NoError(t, p.Save(ctx, snap))
	require.NoError(t, p.Save(ctx, snap), "saving a stored session again is a no-op")
	// A record of another session program is not this persister's to load.
	other := testSession(t, nil, 1_900_000_000)
	require.NoError(t, StorePersister(st, pda.GumProgramID).Save(ctx, other.Snapshot()))

	got, err := p.Load(ctx)
	require.NoError(t, err)
	require.Equal(t, []Snapshot{snap}, got)
	rec, key, err := st.Get(ctx, snap.Token)
	require.NoError(t, err)
	defer key.Zero()
	require.Equal(t, tokenstore.Record{ProgramID: pda.MagicBlockProgramID, Version: pda.V1, Token: s.token,
		Authority: s.authority, TargetProgram: s.target, SessionSigner: s.signer, FeePayer: s.feePayer,
		ValidUntil: 1_900_000_000, CreatedAt: rec.CreatedAt}, rec)

	require.NoError(t, p.Delete(ctx, snap.Token))
	require.NoError(t, p.Delete(ctx, snap.Token), "deleting an unknown token is not an error")
	got, err = p.Load(ctx)
	require.NoError(t, err)
	require.Empty(t, got)
	require.NoError(t, p.Delete(ctx, solana.PublicKey{}))
}

// The hardening issue's reproduction: one truncated record made Load fail, so a restore
// restored nothing. The sound sessions now load beside a typed error naming the bad file.
func TestStorePersisterLoadsAroundACorruptRecord(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := tokenstore.Create(ctx, dir, tokenstore.Passphrase([]byte("pw")), tokenstore.LightArgon2)
	require.NoError(t, err)
	defer st.Close()
	p := StorePersister(st, pda.MagicBlockProgramID)
	good, bad := testSession(t, nil, 1_900_000_000), testSession(t, nil, 1_900_000_000)
	require.NoError(t, p.Save(ctx, good.Snapshot()))
	require.NoError(t, p.Save(ctx, bad.Snapshot()))
	path := filepath.Join(dir, "sessions", bad.Token().String()+".rec")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600))

	got, err := p.Load(ctx)
	require.Equal(t, []Snapshot{good.Snapshot()}, got)
	var le *LoadError
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Errs, 1)
	require.ErrorIs(t, err, tokenstore.ErrCorrupt)
	require.ErrorContains(t, err, bad.Token().String())
}
