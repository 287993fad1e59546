// The loader of vae_mpi.h: dlopen of libmpi, dlsym of each function and predefined object, and
// calls through the resolved pointers. Types and signatures come from Open MPI's own <mpi.h>, so
// a signature that does not match the library's is a compile error, not a crash.
#include "vae_mpi.h"

#include <dlfcn.h>
#include <mpi/mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*finalize)(void);
    int (*comm_rank)(MPI_Comm, int *);
    int (*comm_size)(MPI_Comm, int *);
    int (*barrier)(MPI_Comm);
    int (*bcast)(void *, int, MPI_Datatype, int, MPI_Comm);
    int (*gather)(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, int, MPI_Comm);
    int (*gatherv)(const void *, int, MPI_Datatype, void *, const int *, const int *, MPI_Datatype, int, MPI_Comm);
    int (*allgather)(const void *, int, MPI_Datatype, void *, int, MPI_Datatype, MPI_Comm);
    int (*alltoallv)(const void *, const int *, const int *, MPI_Datatype, void *, const int *, const int *,
                     MPI_Datatype, MPI_Comm);
    int (*allgatherv)(const void *, int, MPI_Datatype, void *, const int *, const int *, MPI_Datatype, MPI_Comm);
    int (*allreduce)(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm);
    int (*abort)(MPI_Comm, int);
    int (*iallreduce)(const void *, void *, int, MPI_Datatype, MPI_Op, MPI_Comm, MPI_Request *);
    int (*test)(MPI_Request *, int *, MPI_Status *);
    int (*wait)(MPI_Request *, MPI_Status *);
    double (*wtime)(void);
    void *comm_world, *type_float, *type_double, *type_byte, *type_int64, *op_sum, *op_max;
} mpi;

int vae_mpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL;
}

int vae_mpi_load(char *message, size_t capacity) {
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(message, capacity, "cannot load Open MPI (libmpi.so.40): %s", dlerror());
        return VAE_MPI_NO_LIBRARY;
    }
    // The library stays loaded for the life of the process: MPI cannot be initialized twice.
#define RESOLVE(field, name)                                                          \
    do {                                                                              \
        *(void **)(&mpi.field) = dlsym(library, name);                                \
        if (!mpi.field) {                                                             \
            snprintf(message, capacity, "libmpi.so.40 has no symbol %s", name);       \
            return VAE_MPI_NO_SYMBOL;                                                 \
        }                                                                             \
    } while (0)
    RESOLVE(init_thread, "MPI_Init_thread");
    RESOLVE(finalize, "MPI_Finalize");
    RESOLVE(comm_rank, "MPI_Comm_rank");
    RESOLVE(comm_size, "MPI_Comm_size");
    RESOLVE(barrier, "MPI_Barrier");
    RESOLVE(bcast, "MPI_Bcast");
    RESOLVE(gather, "MPI_Gather");
    RESOLVE(gatherv, "MPI_Gatherv");
    RESOLVE(allgather, "MPI_Allgather");
    RESOLVE(alltoallv, "MPI_Alltoallv");
    RESOLVE(allgatherv, "MPI_Allgatherv");
    RESOLVE(allreduce, "MPI_Allreduce");
    RESOLVE(abort, "MPI_Abort");
    RESOLVE(iallreduce, "MPI_Iallreduce");
    RESOLVE(test, "MPI_Test");
    RESOLVE(wait, "MPI_Wait");
    RESOLVE(wtime, "MPI_Wtime");
    // The objects behind the MPI_COMM_WORLD, MPI_FLOAT, ... macros (Open MPI's names).
    RESOLVE(comm_world, "ompi_mpi_comm_world");
    RESOLVE(type_float, "ompi_mpi_float");
    RESOLVE(type_double, "ompi_mpi_double");
    RESOLVE(type_byte, "ompi_mpi_byte");
    RESOLVE(type_int64, "ompi_mpi_int64_t");
    RESOLVE(op_sum, "ompi_mpi_op_sum");
    RESOLVE(op_max, "ompi_mpi_op_max");
#undef RESOLVE
    return VAE_MPI_OK;
}

void *vae_mpi_comm_world(void) { return mpi.comm_world; }
void *vae_mpi_float(void) { return mpi.type_float; }
void *vae_mpi_double(void) { return mpi.type_double; }
void *vae_mpi_byte(void) { return mpi.type_byte; }
void *vae_mpi_int64(void) { return mpi.type_int64; }
void *vae_mpi_op_sum(void) { return mpi.op_sum; }
void *vae_mpi_op_max(void) { return mpi.op_max; }

int vae_mpi_init(void) {
    int provided = 0;
    return mpi.init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

int vae_mpi_finalize(void) { return mpi.finalize(); }
int vae_mpi_comm_rank(void *comm, int *rank) { return mpi.comm_rank((MPI_Comm)comm, rank); }
int vae_mpi_comm_size(void *comm, int *size) { return mpi.comm_size((MPI_Comm)comm, size); }
int vae_mpi_barrier(void *comm) { return mpi.barrier((MPI_Comm)comm); }

int vae_mpi_bcast(void *buffer, int count, void *type, int root, void *comm) {
    return mpi.bcast(buffer, count, (MPI_Datatype)type, root, (MPI_Comm)comm);
}

int vae_mpi_gather(const void *send, int count, void *type, void *receive, int root, void *comm) {
    return mpi.gather(send, count, (MPI_Datatype)type, receive, count, (MPI_Datatype)type, root, (MPI_Comm)comm);
}

int vae_mpi_gatherv(const void *send, int count, void *type, void *receive, const int *counts,
                    const int *displacements, int root, void *comm) {
    return mpi.gatherv(send, count, (MPI_Datatype)type, receive, counts, displacements, (MPI_Datatype)type, root,
                       (MPI_Comm)comm);
}

int vae_mpi_allgather(const void *send, int count, void *type, void *receive, void *comm) {
    return mpi.allgather(send, count, (MPI_Datatype)type, receive, count, (MPI_Datatype)type, (MPI_Comm)comm);
}

int vae_mpi_alltoallv(const void *send, const int *sendCounts, const int *sendDisplacements, void *receive,
                      const int *receiveCounts, const int *receiveDisplacements, void *type, void *comm) {
    return mpi.alltoallv(send, sendCounts, sendDisplacements, (MPI_Datatype)type, receive, receiveCounts,
                         receiveDisplacements, (MPI_Datatype)type, (MPI_Comm)comm);
}

int vae_mpi_allgatherv_in_place(void *buffer, const int *counts, const int *displacements, void *type, void *comm) {
    return mpi.allgatherv(MPI_IN_PLACE, 0, (MPI_Datatype)type, buffer, counts, displacements, (MPI_Datatype)type,
                          (MPI_Comm)comm);
}

int vae_mpi_allreduce(const void *send, void *receive, int count, void *type, void *op, void *comm) {
    return mpi.allreduce(send, receive, count, (MPI_Datatype)type, (MPI_Op)op, (MPI_Comm)comm);
}

int vae_mpi_abort(void *comm, int code) { return mpi.abort((MPI_Comm)comm, code); }

int vae_mpi_agree_max(int64_t *value, double timeout, int *completed, void *comm) {
    MPI_Request request;
    *completed = 0;
    int code = mpi.iallreduce(MPI_IN_PLACE, value, 1, (MPI_Datatype)mpi.type_int64, (MPI_Op)mpi.op_max,
                              (MPI_Comm)comm, &request);
    if (code != MPI_SUCCESS) return code;
    if (timeout < 0) {
        code = mpi.wait(&request, MPI_STATUS_IGNORE);
        *completed = code == MPI_SUCCESS;
        return code;
    }
    double deadline = mpi.wtime() + timeout;
    struct timespec pause = {0, 1000000};  // 1 ms between tests: this rank has nothing else to do
    while (mpi.wtime() < deadline) {
        code = mpi.test(&request, completed, MPI_STATUS_IGNORE);
        if (code != MPI_SUCCESS || *completed) return code;
        nanosleep(&pause, NULL);
    }
    return MPI_SUCCESS;
}
double vae_mpi_wtime(void) { return mpi.wtime(); }
