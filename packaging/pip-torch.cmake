# LibTorch from PyPI's `torch` wheel (2.x, with CUDA and NCCL inside) instead of Debian's 1.13.
# Included by the top-level CMakeLists.txt when RLHF_PIP_TORCH names a Python that has torch
# installed (packaging/install-deps.sh --torch=pip makes .torch/bin/python3). Three settings
# make the wheel's CMake config work on a machine of ours (see TOOLCHAIN.md):
#  - both the wheel's cmake prefix and the torch package root on CMAKE_PREFIX_PATH, or
#    TorchConfig's find_library picks Debian's /usr/lib/.../libtorch.so (1.13) beside the 2.x
#    headers when libtorch-dev is installed too;
#  - TORCH_CUDA_ARCH_LIST, or TorchConfig probes for a GPU and fails on a machine without one;
#  - the wheel's NCCL and CUDA libraries ahead of the CUDA toolkit's older ones when linking
#    and running.
execute_process(
  COMMAND ${RLHF_PIP_TORCH} -c
          "import os, torch; print(torch.utils.cmake_prefix_path); print(os.path.dirname(torch.__file__)); print(torch.__version__)"
  OUTPUT_VARIABLE pip_torch OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE pip_torch_status)
if(NOT pip_torch_status EQUAL 0)
  message(FATAL_ERROR "RLHF_PIP_TORCH=${RLHF_PIP_TORCH}: that Python cannot import torch "
                      "(run packaging/install-deps.sh --torch=pip)")
endif()
string(REPLACE "\n" ";" pip_torch "${pip_torch}")
list(GET pip_torch 0 pip_torch_cmake)
list(GET pip_torch 1 pip_torch_root)
list(GET pip_torch 2 pip_torch_version)
get_filename_component(pip_site_packages "${pip_torch_root}" DIRECTORY)
list(PREPEND CMAKE_PREFIX_PATH "${pip_torch_cmake}" "${pip_torch_root}")
message(STATUS "RLHF Studio: LibTorch from the torch ${pip_torch_version} wheel in ${pip_torch_root}")

# The GPU generations the build targets when none is present to ask: A100 (8.0), RTX 30xx /
# A-series (8.6), RTX 40xx / L4 / L40 (8.9), H100 / H200 (9.0). It shapes the flags TorchConfig
# hands on and the machine code of our one kernel (core/model/quantized_weight_cuda.cu: each
# listed generation, plus PTX of the newest for later GPUs).
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(ENV{TORCH_CUDA_ARCH_LIST} "8.0;8.6;8.9;9.0")
endif()
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()

# The wheel's CUDA libraries (cuDNN, cuBLAS, NCCL, the CUDA runtime: newer than the CUDA
# toolkit's) come first on the link and run paths of our programs: libtorch_cuda.so was built
# against them and finds them through its own RUNPATH, but our programs link the CUDA runtime
# and NVRTC themselves (TorchConfig's CUDA::cudart), and CMake's automatic run path would pick
# the toolkit's older ones. BUILD_RPATH entries precede the automatic ones; the package's
# programs get an install run path into their own copy instead (packaging/CMakeLists.txt).
file(GLOB pip_cuda_library_dirs LIST_DIRECTORIES true "${pip_site_packages}/nvidia/*/lib")
foreach(dir ${pip_cuda_library_dirs})
  add_link_options("LINKER:-rpath-link,${dir}")
endforeach()
list(PREPEND CMAKE_BUILD_RPATH ${pip_cuda_library_dirs})
set(RLHF_NCCL_LIBRARY_DIR "${pip_site_packages}/nvidia/nccl/lib")
find_path(RLHF_NCCL_INCLUDE_DIR nccl.h PATHS "${pip_site_packages}/nvidia/nccl/include" NO_DEFAULT_PATH)
find_library(RLHF_NCCL_LIBRARY NAMES nccl libnccl.so.2 PATHS "${RLHF_NCCL_LIBRARY_DIR}" NO_DEFAULT_PATH)

# What the package of this build carries (packaging/CMakeLists.txt): LibTorch's libraries and the
# wheel's CUDA libraries, in the wheel's own layout, so that their relative RUNPATHs hold.
set(RLHF_BUNDLE_DIR lib/rlhf-studio)
set(CMAKE_INSTALL_RPATH "$ORIGIN/../${RLHF_BUNDLE_DIR}/torch/lib")
foreach(dir ${pip_cuda_library_dirs})
  file(RELATIVE_PATH relative "${pip_site_packages}" "${dir}")
  list(APPEND CMAKE_INSTALL_RPATH "$ORIGIN/../${RLHF_BUNDLE_DIR}/${relative}")
endforeach()
