// Open MPI's header, for its types (MPI_Comm, MPI_Datatype, MPI_Op) and function signatures.
// Nothing here links libmpi: the CMPI target loads it at run time, only under mpirun. Debian's
// libopenmpi-dev installs the header under the multiarch include directory as mpi/mpi.h (the
// mpi-<triplet> alternative), which the compiler searches by default.
#include <mpi/mpi.h>
