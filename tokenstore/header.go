package tokenstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Store header (store.json) format version 1, shown in the package
// documentation.
const (
	headerFormat  = "sessionkit-tokenstore"
	headerVersion = 1
	kdfArgon2id   = "argon2id"
	kdfRaw        = "raw"

	// maxHeaderSize bounds the read of store.json.
	maxHeaderSize = 4096

	// Bounds on Argon2id parameters, checked on Create and on Open, so a
	// planted header cannot make Open allocate without limit.
	maxArgon2Time      = 100
	maxArgon2MemoryKiB = 4 << 20 // 4 GiB

	defaultArgon2Time      = 3
	defaultArgon2MemoryKiB = 64 << 10
	defaultArgon2Threads   = 4
)

type header struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	StoreID  []byte    `json:"store_id"`
	KDF      kdfParams `json:"kdf"`
	KeyCheck []byte    `json:"key_check"`
}

type kdfParams struct {
	Name      string `json:"name"`
	Time      uint32 `json:"time,omitempty"`
	MemoryKiB uint32 `json:"memory_kib,omitempty"`
	Threads   uint8  `json:"threads,omitempty"`
	Salt      []byte `json:"salt,omitempty"`
}

func (p kdfParams) validate() error {
	switch p.Name {
	case kdfRaw:
		if p.Time != 0 || p.MemoryKiB != 0 || p.Threads != 0 || p.Salt != nil {
			return errors.New(`kdf "raw" takes no parameters`)
		}
	case kdfArgon2id:
		switch {
		case p.Time < 1 || p.Time > maxArgon2Time:
			return fmt.Errorf("argon2id time %d outside 1..%d", p.Time, maxArgon2Time)
		case p.Threads < 1:
			return errors.New("argon2id threads must be at least 1")
		case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxArgon2MemoryKiB:
			return fmt.Errorf("argon2id memory %d KiB outside %d..%d", p.MemoryKiB, 8*uint32(p.Threads), maxArgon2MemoryKiB)
		case len(p.Salt) != saltSize:
			return fmt.Errorf("argon2id salt is %d bytes, want %d", len(p.Salt), saltSize)
		}
	default:
		return fmt.Errorf("unknown kdf %q", p.Name)
	}
	return nil
}

func (h *header) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	return append(b, '\n'), err
}

// parseHeader decodes and validates store.json. Errors are *CorruptError or
// *VersionError naming path.
func parseHeader(path string, b []byte) (*header, error) {
	corrupt := func(format string, args ...any) (*header, error) {
		return nil, &CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	// Read format and version first, so a newer header with fields this
	// release does not know is reported as a version, not as corruption.
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return corrupt("not a store header: %v", err)
	}
	if probe.Format != headerFormat {
		return corrupt("not a store header: format %q, want %q", probe.Format, headerFormat)
	}
	if probe.Version != headerVersion {
		return nil, &VersionError{Path: path, Kind: "store", Version: probe.Version}
	}
	var h header
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil { // the probe already rejected trailing data
		return corrupt("bad store header: %v", err)
	}
	switch {
	case len(h.StoreID) != storeIDSize:
		return corrupt("store_id is %d bytes, want %d", len(h.StoreID), storeIDSize)
	case len(h.KeyCheck) != keyCheckSize:
		return corrupt("key_check is %d bytes, want %d", len(h.KeyCheck), keyCheckSize)
	}
	if err := h.KDF.validate(); err != nil {
		return corrupt("%v", err)
	}
	return &h, nil
}
