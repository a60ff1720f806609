"""Autoencoders: planted clusters recovered, beats popularity, seeded runs repeat, anomaly score works."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from recnb.data.features import numeric_matrix, user_features
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.autoencoder import FeatureAutoencoder, MultDAE, MultVAE
from recnb.models.baselines import MostPopular


@pytest.fixture(scope="module")
def clusters():
    ds = simulate(n_users=800, n_items=400, n_categories=12, n_clusters=4, mean_views=30, seed=2)
    split = leave_last_out(ds)
    truth = ds.users.set_index("user_id").cluster.loc[split.user_ids].to_numpy()
    return split, truth


def test_multvae_latents_recover_planted_clusters_and_beat_popularity(clusters):
    split, truth = clusters
    vae = MultVAE(latent=32, hidden=128, max_epochs=60, progress=False, seed=0).fit(split)
    mu = vae.user_vectors(np.arange(split.n_users)).numpy()
    mu /= np.linalg.norm(mu, axis=1, keepdims=True)
    labels = KMeans(4, n_init=10, random_state=0).fit_predict(mu)
    assert normalized_mutual_info_score(truth, labels) >= 0.8
    ndcg = evaluate(vae, split).per_user["ndcg@10"].mean()
    pop = evaluate(MostPopular().fit(split), split).per_user["ndcg@10"].mean()
    assert ndcg > 1.5 * pop, (ndcg, pop)


def test_seeded_runs_repeat_exactly(clusters):
    split, _ = clusters
    a = MultDAE(latent=16, hidden=64, max_epochs=5, patience=5, progress=False, seed=3).fit(split)
    b = MultDAE(latent=16, hidden=64, max_epochs=5, patience=5, progress=False, seed=3).fit(split)
    users = np.arange(split.n_users)
    assert np.array_equal(a.score(users).numpy(), b.score(users).numpy())
    assert a.fit_.history["valid ndcg@10"].tolist() == b.fit_.history["valid ndcg@10"].tolist()


def test_user_vectors_shape(clusters):
    split, _ = clusters
    vae = MultVAE(latent=8, hidden=32, max_epochs=2, patience=2, progress=False).fit(split)
    assert vae.user_vectors(np.array([0, 1, 2])).shape == (3, 8)
    assert vae.score(np.array([0, 1])).shape == (2, split.n_items)


def test_feature_autoencoder_flags_fraud_users():
    ds = simulate(n_users=600, n_items=300, n_categories=10, n_fraud=12, seed=4)
    feats = numeric_matrix(user_features(ds.events, ds.items))
    fae = FeatureAutoencoder(latent=4, seed=0, max_epochs=150).fit(feats)
    err = fae.reconstruction_error(feats)
    fraud = ds.users.set_index("user_id").is_fraud.loc[feats.index].to_numpy()
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(fraud, err) > 0.9
    assert fae.transform(feats).shape == (len(feats), 4)
    # reconstruction is far better than predicting the mean (MSE 1 on z-scores)
    assert fae.history_["valid mse"].min() < 0.5


def test_sparse_input_layer_equals_the_dense_linear_layer_in_values_and_gradients():
    import scipy.sparse as sp
    import torch
    from torch import nn

    from recnb.models.autoencoder import SparseInputLinear

    torch.manual_seed(0)
    dense = nn.Linear(40, 6)
    sparse = SparseInputLinear.from_linear(dense)
    x = (torch.rand(5, 40) < 0.2).float() * torch.rand(5, 40)
    x[2] = 0.0  # an empty row
    y_dense, y_sparse = dense(x), sparse(x)
    torch.testing.assert_close(y_sparse, y_dense, atol=1e-6, rtol=1e-6)
    g = torch.randn(5, 6)
    (y_dense * g).sum().backward()
    (y_sparse * g).sum().backward()
    torch.testing.assert_close(sparse.weight.grad, dense.weight.grad.T, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(sparse.bias.grad, dense.bias.grad)
    # Mult-VAE's encoder from CSR rows (no dense copy) equals its dense encoder, and the DAE of the privacy
    # notebook keeps nn.Linear
    rows = sp.random(7, 40, density=0.15, format="csr", random_state=0, dtype=np.float32)
    rows.data[:] = 1.0
    vae = MultVAE(latent=3, hidden=6, progress=False)
    vae.build(40)
    vae.eval()
    mu_rows, _ = vae.encode_rows(rows)
    mu_dense, _ = vae.encode(torch.from_numpy(rows.toarray()))
    torch.testing.assert_close(mu_rows, mu_dense, atol=1e-6, rtol=1e-6)
    vae.build(40, sparse_input=False)
    assert isinstance(vae.encoder[0], nn.Linear)
