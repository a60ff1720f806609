"""Privacy of behaviour data, measured: federated learning (Flower), differential privacy (Opacus) and a
membership-inference attack, all on the Mult-DAE of :mod:`recnb.privacy.dae`."""
