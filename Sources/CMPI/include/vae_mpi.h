// Open MPI for Swift, loaded only when a process was started by mpirun (or srun).
//
// A tool run on its own must need no MPI runtime and start no slower, so nothing links libmpi:
// vae_mpi_load() opens libmpi.so.40 with dlopen (RTLD_GLOBAL, which Open MPI's plugins need) and
// looks up the few functions and predefined objects the pipeline uses. MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM and the other handles are macros naming global objects of libmpi (`&ompi_mpi_float`),
// which Swift can neither import nor resolve before the library is loaded: the accessors below
// return their addresses from the loaded library.
//
// Every function returns an MPI error code (MPI_SUCCESS = 0) or, for vae_mpi_load, VAE_MPI_*.
#ifndef VAE_MPI_H
#define VAE_MPI_H

#include <stddef.h>
#include <stdint.h>

// vae_mpi_load's status codes.
#define VAE_MPI_OK 0
#define VAE_MPI_NO_LIBRARY 1  // dlopen failed; the message says why
#define VAE_MPI_NO_SYMBOL 2   // the library lacks a function or object; the message names it

/// Nonzero when the environment says this process is one rank of an mpirun/srun job
/// (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK is set).
int vae_mpi_launched(void);

/// Loads libmpi and resolves every symbol below; on failure writes a message into
/// `message` (of `capacity` bytes). Call once, before any other function here.
int vae_mpi_load(char *message, size_t capacity);

// The predefined handles (valid after vae_mpi_load), as opaque pointers.
void *vae_mpi_comm_world(void);
void *vae_mpi_float(void);
void *vae_mpi_double(void);
void *vae_mpi_byte(void);
void *vae_mpi_int64(void);
void *vae_mpi_op_sum(void);
void *vae_mpi_op_max(void);

// Thin calls through the loaded library (MPI_THREAD_FUNNELED for init: only the main thread calls MPI).
int vae_mpi_init(void);
int vae_mpi_finalize(void);
int vae_mpi_comm_rank(void *comm, int *rank);
int vae_mpi_comm_size(void *comm, int *size);
int vae_mpi_barrier(void *comm);
int vae_mpi_bcast(void *buffer, int count, void *type, int root, void *comm);
int vae_mpi_gather(const void *send, int count, void *type, void *receive, int root, void *comm);
int vae_mpi_gatherv(const void *send, int count, void *type, void *receive, const int *counts,
                    const int *displacements, int root, void *comm);
int vae_mpi_allgather(const void *send, int count, void *type, void *receive, void *comm);
int vae_mpi_alltoallv(const void *send, const int *sendCounts, const int *sendDisplacements, void *receive,
                      const int *receiveCounts, const int *receiveDisplacements, void *type, void *comm);
/// MPI_Allgatherv with MPI_IN_PLACE: each rank's part is already at its place in `buffer`.
int vae_mpi_allgatherv_in_place(void *buffer, const int *counts, const int *displacements, void *type, void *comm);
int vae_mpi_allreduce(const void *send, void *receive, int count, void *type, void *op, void *comm);
int vae_mpi_abort(void *comm, int code);

/// The ranks' maximum of `*value` (one int64), in place on every rank, by a nonblocking
/// MPI_Iallreduce that this call waits for: forever when `timeout` < 0, otherwise at most `timeout`
/// seconds, after which it returns with `*completed` = 0 and the operation still pending (the
/// caller then ends the job). Every call of every rank must be this one, so that they match each
/// other (a nonblocking collective never matches a blocking one).
int vae_mpi_agree_max(int64_t *value, double timeout, int *completed, void *comm);

/// The wall clock of MPI_Wtime, in seconds.
double vae_mpi_wtime(void);

#endif
