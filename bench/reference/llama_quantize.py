"""Runs llama.cpp's own quantizer (llama_model_quantize in the prebuilt libllama shipped by node-llama-cpp) on a GGUF.

    python3 bench/reference/llama_quantize.py LIBDIR IN.gguf OUT.gguf FTYPE

LIBDIR is node_modules/@node-llama-cpp/linux-x64/bins/linux-x64. FTYPE is llama.cpp's file type number
(Q4_0=2, Q4_1=3, Q8_0=7, Q5_0=8, Q5_1=9, Q4_K_S=14, Q4_K_M=15, Q5_K_S=16, Q5_K_M=17, Q6_K=18).
Only the first two fields of llama_model_quantize_params (nthread, ftype) are touched, so the script does not
depend on the rest of the struct's layout: the library fills it with its defaults.
"""
import ctypes, os, sys

libdir, src, dst, ftype = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for dep in ("libggml-base.so", "libggml-cpu-haswell.so", "libggml.v0.5.0.so", "libllama.v0.5.0.so"):
    ctypes.CDLL(os.path.join(libdir, dep), mode=ctypes.RTLD_GLOBAL)
llama = ctypes.CDLL(os.path.join(libdir, "libllama.v0.5.0.so"))

class Params(ctypes.Structure):  # larger than the real struct; returned through a hidden pointer either way
    _fields_ = [("nthread", ctypes.c_int32), ("ftype", ctypes.c_int32), ("rest", ctypes.c_byte * 248)]

llama.llama_model_quantize_default_params.restype = Params
llama.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Params)]
llama.llama_model_quantize.restype = ctypes.c_uint32
params = llama.llama_model_quantize_default_params()
params.nthread = 1
params.ftype = ftype
rc = llama.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params))
sys.exit(rc)
