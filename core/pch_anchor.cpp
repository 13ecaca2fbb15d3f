// The one translation unit of the targets that only own a precompiled LibTorch header
// (rlhf_core_pch in core/CMakeLists.txt, rlhf_test_pch in tests/CMakeLists.txt): it compiles the
// header and nothing else.
