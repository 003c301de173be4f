// Package signtest gives tests signing keys without the scrypt work of decrypting a key
// file. Only tests import it.
package signtest
