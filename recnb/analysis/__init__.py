"""Analyses built on the data and the models, one module per question of the study:

* :mod:`~recnb.analysis.datasets`: profiles of every dataset, caveats from the sources' notes (notebook 01);
* :mod:`~recnb.analysis.preprocessing`: normalisation, the split's stages, the baselines chosen on validation (02);
* :mod:`~recnb.analysis.autoencoding`: feature autoencoder profiles, latent-size sweep (notebook 03);
* :mod:`~recnb.analysis.sequences`: sequence cells chosen on validation, ablation, scaling verdict (04);
* :mod:`~recnb.analysis.scaling`: power laws of quality against parameters (notebook 04);
* :mod:`~recnb.analysis.graphs`: graph variants over seeds, the depth sweep, the social-graph comparison (05);
* :mod:`~recnb.analysis.fusions`: encoders and fusions over seeds, the fusion chosen on validation and tested (06);
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
