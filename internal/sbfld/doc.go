// Package sbfld links relocatable BPF objects from stock clang into ELF
// shared objects the Solana SBPF loader accepts (SBPF v0 or v3).
package sbfld
