"""A FlashAttention forward pass in NumPy (FlashAttention-1 style: normalised on every block).

Origin: https://github.com/oreo-lp/flash-attention-numpy, flash.py (dropout, flash_attention),
commit 9df53198d7ebc5df62ea226742baaa06b3009eaf.
Adapted: flash.py reads its sizes (f queries, t keys, h head size), head_scale and the dropout
settings from module globals set at import; the wrapper sets them from the inputs before each
call (dropout_prob = 0 with an all-True mask: no dropout), and runs the 2-D function over the
leading dimensions. flash.py's blocks are fixed at one row (block_m = block_n = 1) and it has no
causal option, so block_size and causal are not passed on. Bodies verbatim.
True verdict: flash_attention fails. The output is allocated as np.zeros(q.shape): with v wider
than q (dv != d) the (1, dv) block cannot be stored into a (1, d) row and every test with dv != d
raises (mistake: output sized from q instead of v). The accumulators are float32, so float64
inputs come back float32. causal=True is ignored.
"""

import numpy as np

f = t = h = 0
head_scale = 1.0
dropout_prob = 0.0
dropout_mask = None


def dropout(array, ratio, mask):
    assert (array.shape == mask.shape)
    scale = 1 / (1 - float(ratio))
    array_dp = array * scale
    zero = np.zeros(array.shape, dtype=array.dtype)
    output = np.where(mask, array_dp, zero)
    return output


def flash_attention_2d(q, k, v, is_train=False):
    output = np.zeros(q.shape, dtype=np.float32)
    m = np.zeros(f, dtype=np.float32)   # (16,)
    l = np.zeros(f, dtype=np.float32)   # (16,)

    block_m = 1     # 2
    block_n = 1     # 2
    block_head = h  # 8
    assert (f % block_m == 0)
    assert (t % block_n == 0)
    for start_m in range(0, f, block_m):    # for q
        m_prev = np.zeros([block_m], dtype=np.float32) - float("inf")
        l_prev = np.zeros([block_m], dtype=np.float32)
        acc = np.zeros([block_m, block_head], dtype=np.float32) # (1,2)
        q_sub = q[start_m: start_m + block_m, :]                # (1,2)
        for start_n in range(0, t, block_n):
            k_sub = k[start_n: start_n+block_n, :]              # (1,2)
            v_sub = v[start_n: start_n+block_n, :]              # (1,2)
            dropout_mask_sub = dropout_mask[start_m: start_m +
                                            block_m, start_n: start_n+block_n]
            qk = np.matmul(q_sub, k_sub.T)
            qk *= head_scale
            m_cur = np.maximum(np.amax(qk, -1), m_prev)     # 求x数据的最大值
            l_prev *= np.exp(m_prev - m_cur)                # 乘以系数
            p = np.exp(qk - m_cur.reshape(-1, 1))           # softmax的分子
            l_cur = np.sum(p, -1) + l_prev
            l_rcp = 1 / l_cur
            s = p * l_rcp.reshape(-1, 1)                    # sub_softmax
            acc *= (l_prev * l_rcp).reshape(-1, 1)          # 需要乘以系数，从而更新数据
            # Below commeneted part is from flash attention2
            # s = p
            # acc *= np.exp(m_prev - m_cur).reshape(-1, 1)
            dp_s = dropout(s, dropout_prob, dropout_mask_sub)
            acc += np.matmul(dp_s, v_sub)                   # o
            m_prev = m_cur
            l_prev = l_cur
        # acc /= l_prev.reshape(-1, 1)
        output[start_m: start_m+block_m, :] = acc
        m[start_m: start_m+block_m] = m_prev
        l[start_m: start_m+block_m] = l_prev

    if is_train:
        return output, m, l
    else:
        return output


# --- the wrapper ---


def flash_attention(q, k, v, block_size=64, causal=False):
    global f, t, h, head_scale, dropout_mask
    f, t, h = q.shape[-2], k.shape[-2], q.shape[-1]
    head_scale = 1 / np.sqrt(float(h))
    dropout_mask = np.ones((f, t), dtype=bool)
    lead = q.shape[:-2]
    rows = [flash_attention_2d(q2, k2, v2) for q2, k2, v2 in zip(q.reshape((-1,) + q.shape[-2:]),
                                                                 k.reshape((-1,) + k.shape[-2:]),
                                                                 v.reshape((-1,) + v.shape[-2:]))]
    return np.stack(rows).reshape(lead + rows[0].shape[-2:])
