"""Analyses built on the data and the models, one module per question of the study:

* :mod:`~recnb.analysis.scaling`: power laws of quality against parameters (notebook 04);
* :mod:`~recnb.analysis.funnel`: the view -> cart -> purchase funnel with Wilson CIs (notebook 07);
* :mod:`~recnb.analysis.shop`: the next-purchase line-up, the fusion candidates, selection on validation,
  multi-behaviour input (07);
* :mod:`~recnb.analysis.casestudy`: notebook 07's sections as functions returning tables and rendered sentences;
* :mod:`~recnb.analysis.coldstart`: new users held out and revealed event by event (07);
* :mod:`~recnb.analysis.explain`: occlusion and neighbour explanations of a recommendation (07);
* :mod:`~recnb.analysis.personas`: personas from the feature autoencoder's latent profile (08);
* :mod:`~recnb.analysis.prediction`: purchase and next-category prediction across time cuts (08);
* :mod:`~recnb.analysis.anomaly`: shilling attacks, their detection and their effect (08);
* :mod:`~recnb.analysis.analytics`: notebook 08's sections as functions returning tables and rendered sentences.
"""
