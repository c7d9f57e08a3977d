// Package findings holds the errors, warnings and notes a run reports about the objects
// of a stream, one line each, and turns them into the run's error.
//
// It imports no other package of helm-netpol.
package findings
