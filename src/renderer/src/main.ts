import { mount } from 'svelte';
import '@xyflow/svelte/dist/style.css';
import './app.css';
import App from './App.svelte';
import { selectApi } from './api/selectApi';

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element to mount Tensorloom into.');

mount(App, { target, props: { appApi: selectApi(window) } });
