package tokenstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

	// Create refuses Argon2id below OWASP's minimum, which would make
	// each passphrase guess cheaper than the floor we document. Open
	// accepts any store made before the floor existed (refusing it would
	// lock its owner out of keys that may hold lamports), but refuses more
	// than the ceiling from a header, so a planted one cannot make Open
	// burn minutes of CPU or gigabytes of memory. Create refuses above the
	// ceiling too, or it would make stores Open refuses.
	minArgon2Time      = 2
	minArgon2MemoryKiB = 19 << 10 // 19 MiB
	maxArgon2Time      = 10
	maxArgon2MemoryKiB = 1 << 20 // 1 GiB

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

// validate checks p as Open accepts it; forCreate adds the floor.
// Argon2id errors are *KDFParamError.
func (p kdfParams) validate(forCreate bool) error {
	switch p.Name {
	case kdfRaw:
		if p.Time != 0 || p.MemoryKiB != 0 || p.Threads != 0 || p.Salt != nil {
			return errors.New(`kdf "raw" takes no parameters`)
		}
	case kdfArgon2id:
		minTime, minMemory := uint32(1), 8*uint32(p.Threads) // what argon2 itself needs
		if forCreate {
			minTime, minMemory = minArgon2Time, max(minMemory, minArgon2MemoryKiB)
		}
		switch {
		case p.Time < minTime || p.Time > maxArgon2Time:
			return &KDFParamError{Param: "time", Value: uint64(p.Time), Min: uint64(minTime), Max: maxArgon2Time}
		case p.Threads < 1:
			return &KDFParamError{Param: "threads", Value: 0, Min: 1, Max: 255}
		case p.MemoryKiB < minMemory || p.MemoryKiB > maxArgon2MemoryKiB:
			return &KDFParamError{Param: "memory", Value: uint64(p.MemoryKiB), Min: uint64(minMemory), Max: maxArgon2MemoryKiB}
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
	if probe.Version < 1 {
		// No release wrote version 0 or below: this is damage, not a
		// newer format.
		return corrupt("format version %d was never written", probe.Version)
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
	if err := h.KDF.validate(false); err != nil {
		return corrupt("%s", strings.TrimPrefix(err.Error(), "tokenstore: "))
	}
	return &h, nil
}
