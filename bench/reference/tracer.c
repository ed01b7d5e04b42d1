// Dumps every contiguous F32 tensor llama.cpp computes for a prompt (through the cb_eval callback), for
// trace-compare.cs. 1 thread, f32 KV cache, no flash attention, context 512, like probe.mjs. See README.md.
//   tracer MODEL.gguf OUT.bin PROMPT_IDS BATCH [DECODE_IDS]
// PROMPT_IDS / DECODE_IDS: comma-separated token ids; the prompt goes in batches (= ubatches) of BATCH tokens,
// then the DECODE_IDS one at a time. Only the last llama_decode call is dumped, followed by its logits
// ("final_logits"). LLAMA_BIN_DIR: the folder with the libggml-cpu-*.so backends (default: node-llama-cpp's).
// Format per tensor: 64-byte name, 4 x int64 ne, ne0*ne1*ne2*ne3 floats.
#include "llama.h"
#include "ggml.h"
#include "ggml-backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static FILE *out; static int dumping = 0;
static bool cb(struct ggml_tensor *t, bool ask, void *ud) {
  if (ask) return true;
  if (!dumping) return true;
  if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) return true;
  size_t nb = ggml_nbytes(t);
  char name[64] = {0}; strncpy(name, t->name, 63);
  fwrite(name, 1, 64, out);
  int64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
  fwrite(ne, 8, 4, out);
  void *buf = malloc(nb); ggml_backend_tensor_get(t, buf, 0, nb); fwrite(buf, 1, nb, out); free(buf);
  return true;
}
static int parse(const char *s, llama_token *ids) { int n = 0; while (*s) { ids[n++] = atoi(s); while (*s && *s != ',') s++; if (*s) s++; } return n; }
int main(int argc, char **argv) {
  const char *bins = getenv("LLAMA_BIN_DIR");
  ggml_backend_load_all_from_path(bins ? bins : "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64");
  llama_backend_init();
  struct llama_model_params mp = llama_model_default_params(); mp.n_gpu_layers = 0;
  struct llama_model *model = llama_model_load_from_file(argv[1], mp);
  out = fopen(argv[2], "wb");
  static llama_token ids[4096], extra[4096];
  int n = parse(argv[3], ids); int nb = atoi(argv[4]); int ne = argc > 5 ? parse(argv[5], extra) : 0;
  struct llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 512; cp.n_batch = nb; cp.n_ubatch = nb; cp.n_threads = 1; cp.n_threads_batch = 1;
  cp.type_k = GGML_TYPE_F32; cp.type_v = GGML_TYPE_F32; cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cp.cb_eval = cb; cp.swa_full = false; cp.kv_unified = false;
  struct llama_context *ctx = llama_init_from_model(model, cp);
  int pos = 0;
  for (int i = 0; i < n; i += nb) {
    int m = n - i < nb ? n - i : nb;
    struct llama_batch b = llama_batch_init(m, 0, 1);
    for (int j = 0; j < m; j++) { b.token[j] = ids[i+j]; b.pos[j] = pos + j; b.n_seq_id[j] = 1; b.seq_id[j][0] = 0; b.logits[j] = (i + j == n - 1); }
    b.n_tokens = m;
    dumping = (ne == 0 && i + m == n);
    if (llama_decode(ctx, b)) { fprintf(stderr, "decode failed\n"); return 1; }
    pos += m; llama_batch_free(b);
  }
  for (int e = 0; e < ne; e++) {
    struct llama_batch b = llama_batch_init(1, 0, 1);
    b.token[0] = extra[e]; b.pos[0] = pos++; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1; b.n_tokens = 1;
    dumping = (e == ne - 1);
    if (llama_decode(ctx, b)) { fprintf(stderr, "decode failed\n"); return 1; }
    llama_batch_free(b);
  }
  float *lg = llama_get_logits_ith(ctx, -1);
  int nv = llama_vocab_n_tokens(llama_model_get_vocab(model));
  char name[64] = "final_logits"; fwrite(name,1,64,out); int64_t nn[4] = {nv,1,1,1}; fwrite(nn,8,4,out); fwrite(lg,4,nv,out);
  fclose(out);
  fprintf(stderr, "ok\n");
  return 0;
}
